// Theme parameters → --tg-theme-* CSS variables, over light or dark defaults.

export const THEME_KEYS = [
  "bg_color",
  "text_color",
  "hint_color",
  "link_color",
  "button_color",
  "button_text_color",
  "secondary_bg_color",
  "header_bg_color",
  "bottom_bar_bg_color",
  "accent_text_color",
  "section_bg_color",
  "section_header_text_color",
  "section_separator_color",
  "subtitle_text_color",
  "destructive_text_color",
] as const;
export type ThemeKey = (typeof THEME_KEYS)[number];
export type ThemeParams = Partial<Record<ThemeKey, string>>;

export const LIGHT_THEME: Required<ThemeParams> = {
  bg_color: "#ffffff",
  text_color: "#000000",
  hint_color: "#999999",
  link_color: "#2481cc",
  button_color: "#2481cc",
  button_text_color: "#ffffff",
  secondary_bg_color: "#efeff3",
  header_bg_color: "#ffffff",
  bottom_bar_bg_color: "#ffffff",
  accent_text_color: "#2481cc",
  section_bg_color: "#ffffff",
  section_header_text_color: "#6d6d72",
  section_separator_color: "#e7e7e7",
  subtitle_text_color: "#999999",
  destructive_text_color: "#ff3b30",
};

export const DARK_THEME: Required<ThemeParams> = {
  bg_color: "#17212b",
  text_color: "#f5f5f5",
  hint_color: "#708499",
  link_color: "#6ab3f3",
  button_color: "#5288c1",
  button_text_color: "#ffffff",
  secondary_bg_color: "#232e3c",
  header_bg_color: "#17212b",
  bottom_bar_bg_color: "#17212b",
  accent_text_color: "#6ab2f2",
  section_bg_color: "#17212b",
  section_header_text_color: "#6ab3f3",
  section_separator_color: "#111921",
  subtitle_text_color: "#708499",
  destructive_text_color: "#ec3942",
};

const COLOR = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i;

export function normalizeColor(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const color = value.trim();
  if (!COLOR.test(color)) return null;
  if (color.length === 4) {
    return `#${[...color.slice(1)].map((c) => c + c).join("")}`.toLowerCase();
  }
  return color.toLowerCase();
}

export function isDark(color: string): boolean {
  const hex = normalizeColor(color);
  if (!hex) return false;
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  // Perceived brightness, as Telegram's script estimates it.
  return Math.sqrt(0.299 * r! * r! + 0.587 * g! * g! + 0.114 * b! * b!) < 120;
}

export function cleanTheme(raw: unknown): ThemeParams {
  const theme: ThemeParams = {};
  if (!raw || typeof raw !== "object") return theme;
  for (const key of THEME_KEYS) {
    const color = normalizeColor((raw as Record<string, unknown>)[key]);
    if (color) theme[key] = color;
  }
  return theme;
}

/** Set --tg-theme-* for every known key: the host's colours over the scheme's defaults. */
export function applyTheme(root: HTMLElement, theme: ThemeParams, prefersDark: boolean): "light" | "dark" {
  const scheme = theme.bg_color
    ? isDark(theme.bg_color)
      ? "dark"
      : "light"
    : prefersDark
      ? "dark"
      : "light";
  const full = { ...(scheme === "dark" ? DARK_THEME : LIGHT_THEME), ...theme };
  for (const key of THEME_KEYS) {
    root.style.setProperty(`--tg-theme-${key.replace(/_/g, "-")}`, full[key]);
  }
  root.style.setProperty("--tg-color-scheme", scheme);
  root.dataset.colorScheme = scheme;
  return scheme;
}

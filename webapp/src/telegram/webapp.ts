// Telegram.WebApp's surface over the host's protocol (bridge.ts), with the controls drawn
// in the page when there is no host.

import { compareVersions } from "@telegram-apps/bridge";
import { Bridge, hostMode, type MethodParams } from "./bridge";
import { BackButtonState, MainButtonState } from "./buttons";
import { InPageControls } from "./controls";
import type { LaunchParams } from "./launch";
import { parseInitData } from "./launch";
import { applyTheme, cleanTheme, type ThemeParams } from "./theme";
import type {
  HostMode,
  InitDataUnsafe,
  PopupButton,
  PopupLabels,
  TelegramHost,
  WebApp,
  WebAppEvent,
} from "./types";

/** The oldest protocol version: what a launch that names none gets. */
const BASE_VERSION = "6.0";
/** Telegram refuses longer popup messages. */
const POPUP_MESSAGE_MAX = 256;

export class MiniApp implements WebApp {
  readonly initData: string;
  readonly initDataUnsafe: InitDataUnsafe;
  readonly version: string;
  readonly platform: string;
  colorScheme: "light" | "dark" = "light";
  themeParams: ThemeParams = {};
  isExpanded = true;
  readonly MainButton: MainButtonState;
  readonly BackButton: BackButtonState;
  readonly bridge: Bridge;
  readonly controls: InPageControls;

  private readonly handlers = new Map<WebAppEvent, Set<() => void>>();
  private readonly cleanups: (() => void)[] = [];
  private popupCallback: ((buttonId: string) => void) | null = null;
  private labels: PopupLabels;

  constructor(
    private readonly win: Window,
    private readonly launch: LaunchParams,
    labels: PopupLabels,
  ) {
    const params = launch.params;
    this.labels = labels;
    this.initData = params.tgWebAppData ?? "";
    this.initDataUnsafe = this.initData ? parseInitData(this.initData) : {};
    this.version = params.tgWebAppVersion ?? BASE_VERSION;
    this.platform = params.tgWebAppPlatform ?? "unknown";
    this.bridge = new Bridge(hostMode(win), this.version, win);
    this.controls = new InPageControls(win.document);
    this.cleanups.push(
      () => this.bridge.dispose(),
      () => this.controls.remove(),
    );
    this.MainButton = new MainButtonState(this);
    this.BackButton = new BackButtonState(this);
    this.listen();
    let theme: ThemeParams = {};
    try {
      theme = cleanTheme(JSON.parse(params.tgWebAppThemeParams ?? "null"));
    } catch {
      theme = {};
    }
    this.setTheme(theme);
    if (this.mode === "iframe") this.bridge.post("iframe_ready", { reload_supported: false });
    this.bridge.post("web_app_request_theme");
    this.bridge.post("web_app_request_viewport");
  }

  get mode(): HostMode {
    return this.bridge.mode;
  }

  host(): TelegramHost {
    const startParam = this.initDataUnsafe.start_param ?? this.launch.params.tgWebAppStartParam ?? null;
    return {
      webApp: this,
      mode: this.mode,
      launchPath: this.launch.path,
      startParam,
      setLabels: (labels) => {
        this.labels = labels;
      },
      dispose: () => {
        for (const cleanup of this.cleanups.splice(0)) cleanup();
      },
    };
  }

  private listen(): void {
    const bridge = this.bridge;
    bridge.on("main_button_pressed", () => this.emit("mainButtonClicked"));
    bridge.on("back_button_pressed", () => this.emit("backButtonClicked"));
    bridge.on("theme_changed", ({ theme_params }) => this.setTheme(cleanTheme(theme_params), true));
    bridge.on("viewport_changed", ({ height, is_expanded }) => {
      this.isExpanded = is_expanded;
      this.win.document.documentElement.style.setProperty("--tg-viewport-height", `${height}px`);
      this.emit("viewportChanged");
    });
    bridge.on("popup_closed", ({ button_id }) => {
      const callback = this.popupCallback;
      this.popupCallback = null;
      callback?.(button_id ?? "");
    });
    const media = this.win.matchMedia?.("(prefers-color-scheme: dark)");
    if (media && this.mode === "browser") {
      const onScheme = () => this.setTheme(this.themeParams, true);
      media.addEventListener?.("change", onScheme);
      this.cleanups.push(() => media.removeEventListener?.("change", onScheme));
    }
  }

  private setTheme(theme: ThemeParams, announce = false): void {
    this.themeParams = theme;
    const prefersDark = Boolean(this.win.matchMedia?.("(prefers-color-scheme: dark)")?.matches);
    this.colorScheme = applyTheme(this.win.document.documentElement, theme, prefersDark);
    if (announce) {
      this.MainButton.sync();
      this.emit("themeChanged");
    }
  }

  emit(event: WebAppEvent): void {
    for (const callback of [...(this.handlers.get(event) ?? [])]) {
      try {
        callback();
      } catch (error) {
        console.error(error);
      }
    }
  }

  onEvent(event: WebAppEvent, callback: () => void): void {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)!.add(callback);
  }

  offEvent(event: WebAppEvent, callback: () => void): void {
    this.handlers.get(event)?.delete(callback);
  }

  isVersionAtLeast(version: string): boolean {
    return compareVersions(this.version, version) >= 0;
  }

  ready(): void {
    this.bridge.post("web_app_ready");
  }

  expand(): void {
    this.bridge.post("web_app_expand");
  }

  close(): void {
    this.bridge.post("web_app_close");
  }

  showAlert(message: string, callback?: () => void): void {
    this.popup(message, [{ id: "ok", type: "ok", text: this.labels.ok }], () => callback?.());
  }

  showConfirm(message: string, callback?: (confirmed: boolean) => void): void {
    this.popup(
      message,
      [
        { id: "cancel", type: "cancel", text: this.labels.cancel },
        { id: "ok", type: "ok", text: this.labels.ok },
      ],
      (id) => callback?.(id === "ok"),
    );
  }

  /** The host's popup when it has them (one at a time), else one drawn in the page. */
  private popup(message: string, buttons: PopupButton[], done: (buttonId: string) => void): void {
    if (message.length <= POPUP_MESSAGE_MAX && !this.popupCallback) {
      this.popupCallback = done;
      if (this.bridge.post("web_app_open_popup", { title: "", message, buttons: buttons.map(hostButton) })) {
        return;
      }
      this.popupCallback = null;
    }
    this.controls.popup(message, buttons, done);
  }
}

type HostPopupButton = MethodParams<"web_app_open_popup">["buttons"][number];

/** A button as web_app_open_popup takes it: the host labels ok, cancel and close itself. */
function hostButton(button: PopupButton): HostPopupButton {
  if (button.type === "default" || button.type === "destructive") {
    return { id: button.id, type: button.type, text: button.text };
  }
  return { id: button.id, type: button.type };
}

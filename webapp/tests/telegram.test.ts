import { afterEach, describe, expect, it, vi } from "vitest";
import {
  applyTheme,
  confirmAsync,
  connectTelegram,
  isLaunchHash,
  normalizeColor,
  parseInitData,
  parseLaunchHash,
  versionAtLeast,
  type TelegramHost,
  type WebApp,
} from "../src/telegram";
import { initData, launchHash, quote } from "./helpers";

const SANDBOX_THEME = {
  bg_color: "#ffffff",
  text_color: "#000000",
  hint_color: "#999999",
  button_color: "#2481cc",
  button_text_color: "#ffffff",
};

const hosts: TelegramHost[] = [];
function connect(options: Parameters<typeof connectTelegram>[0]): TelegramHost {
  const host = connectTelegram(options);
  hosts.push(host);
  return host;
}

afterEach(() => {
  for (const host of hosts.splice(0)) host.dispose();
  document.documentElement.removeAttribute("style");
  delete (window as { Telegram?: unknown }).Telegram;
});

/** A window inside an iframe: the parent receives postMessage, messages come back. */
function iframeWindow(hash: string) {
  const target = new EventTarget();
  const posted: { eventType: string; eventData: unknown }[] = [];
  const parent = { postMessage: vi.fn((message: string) => posted.push(JSON.parse(message))) };
  const win = {
    location: { hash },
    document,
    parent,
    addEventListener: target.addEventListener.bind(target),
    removeEventListener: target.removeEventListener.bind(target),
    matchMedia: () => ({ matches: false, addEventListener() {}, removeEventListener() {} }),
  } as unknown as Window;
  const fromParent = (eventType: string, eventData: unknown = {}, source: unknown = parent) => {
    const event = new MessageEvent("message", { data: JSON.stringify({ eventType, eventData }) });
    Object.defineProperty(event, "source", { value: source });
    target.dispatchEvent(event);
  };
  return { win, posted, fromParent };
}

describe("launch parameters", () => {
  it("reads initData from the sandbox's fragment exactly as sent", () => {
    const data = initData({ id: 42, first_name: "Zoë & Co", language_code: "ru" });
    const { params, path } = parseLaunchHash(launchHash(data));
    expect(path).toBeNull();
    expect(params.tgWebAppData).toBe(data);
    expect(params.tgWebAppVersion).toBe("8.0");
    expect(params.tgWebAppPlatform).toBe("web");
  });

  it("parses initDataUnsafe: the user as JSON, auth_date as a number", () => {
    const unsafe = parseInitData(initData({ id: 42, first_name: "Zoë & Co", language_code: "ru" }));
    expect(unsafe.user).toEqual({ id: 42, first_name: "Zoë & Co", language_code: "ru" });
    expect(unsafe.auth_date).toBe(1700000000);
    expect(unsafe.query_id).toBe("AAHtest");
  });

  it("accepts a #path? prefix and plus signs as spaces", () => {
    const { path, params } = parseLaunchHash(
      `#/listings/5?tgWebAppData=${quote("a=1")}&tgWebAppStartParam=listing_5&x=a+b`,
    );
    expect(path).toBe("/listings/5");
    expect(params.tgWebAppData).toBe("a=1");
    expect(params.x).toBe("a b");
    expect(parseLaunchHash("#/search")).toEqual({ path: "/search", params: {} });
    expect(isLaunchHash(launchHash())).toBe(true);
    expect(isLaunchHash("#/search?q=1")).toBe(false);
  });

  it("exposes initData, the user and the platform on WebApp", () => {
    const host = connect({ hash: launchHash(initData({ id: 7, first_name: "Bob", language_code: "en" })) });
    expect(host.mode).toBe("browser");
    expect(host.webApp.initData).toContain("user=");
    expect(host.webApp.initDataUnsafe.user?.id).toBe(7);
    expect(host.webApp.platform).toBe("web");
    expect(host.webApp.isVersionAtLeast("6.2")).toBe(true);
  });

  it("has empty initData without a launch fragment", () => {
    const host = connect({ hash: "" });
    expect(host.webApp.initData).toBe("");
    expect(host.webApp.initDataUnsafe).toEqual({});
  });

  it("keeps initData out of web storage", () => {
    connect({ hash: launchHash() });
    const stored = [...Object.values({ ...localStorage }), ...Object.values({ ...sessionStorage })].join(
      "\n",
    );
    expect(stored).not.toContain("AAHtest");
  });

  it("compares versions numerically", () => {
    expect(versionAtLeast("8.0", "6.2")).toBe(true);
    expect(versionAtLeast("6.10", "6.9")).toBe(true);
    expect(versionAtLeast("6.1", "6.2")).toBe(false);
  });
});

describe("theme", () => {
  const css = (name: string) => document.documentElement.style.getPropertyValue(name);

  it("sets --tg-theme-* from tgWebAppThemeParams", () => {
    const host = connect({
      hash: launchHash(initData(), { ...SANDBOX_THEME, bg_color: "#112233", button_color: "#ABC" }),
    });
    expect(css("--tg-theme-bg-color")).toBe("#112233");
    expect(css("--tg-theme-button-color")).toBe("#aabbcc");
    expect(host.webApp.colorScheme).toBe("dark");
    expect(host.webApp.themeParams.bg_color).toBe("#112233");
  });

  it("fills the keys the host left out with defaults", () => {
    connect({ hash: launchHash(initData(), { bg_color: "#ffffff" }) });
    expect(css("--tg-theme-text-color")).toBe("#000000");
    expect(css("--tg-theme-destructive-text-color")).toBe("#ff3b30");
    expect(css("--tg-color-scheme")).toBe("light");
  });

  it("falls back to light or dark defaults without theme params", () => {
    const root = document.createElement("div");
    expect(applyTheme(root, {}, false)).toBe("light");
    expect(root.style.getPropertyValue("--tg-theme-bg-color")).toBe("#ffffff");
    expect(applyTheme(root, {}, true)).toBe("dark");
    expect(root.style.getPropertyValue("--tg-theme-bg-color")).toBe("#17212b");
  });

  it("ignores values that are not colours", () => {
    connect({ hash: launchHash(initData(), { bg_color: "red;background:url(x)", text_color: "#333333" }) });
    expect(css("--tg-theme-bg-color")).toBe("#ffffff");
    expect(css("--tg-theme-text-color")).toBe("#333333");
    expect(normalizeColor("#12345")).toBeNull();
    expect(normalizeColor("javascript:alert(1)")).toBeNull();
  });

  it("follows theme_changed from the host and fires themeChanged", () => {
    const { win, fromParent } = iframeWindow(launchHash(initData(), SANDBOX_THEME));
    const host = connect({ window: win });
    const changed = vi.fn();
    host.webApp.onEvent("themeChanged", changed);
    fromParent("theme_changed", { theme_params: { ...SANDBOX_THEME, bg_color: "#000000" } });
    expect(changed).toHaveBeenCalledTimes(1);
    expect(css("--tg-theme-bg-color")).toBe("#000000");
    expect(host.webApp.colorScheme).toBe("dark");
  });
});

describe("inside an iframe (Telegram Web, the sandbox chat page)", () => {
  it("talks to the parent with postMessage", () => {
    const { win, posted } = iframeWindow(launchHash());
    const host = connect({ window: win });
    expect(host.mode).toBe("iframe");
    host.webApp.ready();
    host.webApp.expand();
    host.webApp.MainButton.setParams({ text: "Save", is_visible: true });
    host.webApp.BackButton.show();
    const types = posted.map((p) => p.eventType);
    expect(types).toEqual(
      expect.arrayContaining([
        "iframe_ready",
        "web_app_request_theme",
        "web_app_ready",
        "web_app_expand",
        "web_app_setup_main_button",
        "web_app_setup_back_button",
      ]),
    );
    expect(posted.find((p) => p.eventType === "web_app_setup_main_button")?.eventData).toMatchObject({
      is_visible: true,
      is_active: true,
      text: "Save",
    });
    expect(posted.find((p) => p.eventType === "web_app_setup_back_button")?.eventData).toEqual({
      is_visible: true,
    });
    expect(document.querySelector(".tgx-main-button")).toBeNull();
  });

  it("hears main_button_pressed and back_button_pressed from the parent only", () => {
    const { win, fromParent } = iframeWindow(launchHash());
    const host = connect({ window: win });
    const main = vi.fn();
    const back = vi.fn();
    host.webApp.MainButton.onClick(main);
    host.webApp.BackButton.onClick(back);
    fromParent("main_button_pressed");
    fromParent("back_button_pressed");
    fromParent("main_button_pressed", {}, { postMessage() {} });
    expect(main).toHaveBeenCalledTimes(1);
    expect(back).toHaveBeenCalledTimes(1);
    host.webApp.MainButton.offClick(main);
    fromParent("main_button_pressed");
    expect(main).toHaveBeenCalledTimes(1);
  });

  it("asks the host for popups and resolves on popup_closed", async () => {
    const { win, posted, fromParent } = iframeWindow(launchHash());
    const host = connect({ window: win, labels: { ok: "Да", cancel: "Нет" } });
    const answer = confirmAsync(host.webApp, "Archive it?");
    const popup = posted.find((p) => p.eventType === "web_app_open_popup");
    expect(popup?.eventData).toMatchObject({
      message: "Archive it?",
      buttons: [
        { id: "cancel", type: "cancel", text: "Нет" },
        { id: "ok", type: "ok", text: "Да" },
      ],
    });
    fromParent("popup_closed", { button_id: "ok" });
    await expect(answer).resolves.toBe(true);
  });
});

describe("in a native Telegram app", () => {
  it("posts through TelegramWebviewProxy and receives through Telegram.WebView.receiveEvent", () => {
    const postEvent = vi.fn();
    const win = window as unknown as Window & { TelegramWebviewProxy?: unknown };
    win.TelegramWebviewProxy = { postEvent };
    try {
      const host = connect({ hash: launchHash() });
      expect(host.mode).toBe("native");
      host.webApp.ready();
      expect(postEvent).toHaveBeenCalledWith("web_app_ready", '""');
      host.webApp.BackButton.show();
      expect(postEvent).toHaveBeenCalledWith(
        "web_app_setup_back_button",
        JSON.stringify({ is_visible: true }),
      );
      const back = vi.fn();
      host.webApp.BackButton.onClick(back);
      const telegram = (
        window as unknown as { Telegram: { WebView: { receiveEvent(t: string, d?: unknown): void } } }
      ).Telegram;
      telegram.WebView.receiveEvent("back_button_pressed");
      expect(back).toHaveBeenCalledTimes(1);
    } finally {
      delete win.TelegramWebviewProxy;
    }
  });

  it("uses Telegram's own WebApp object when the official script is on the page", () => {
    const official = {
      ready: vi.fn(),
      initData: "x=1",
      initDataUnsafe: { start_param: "listing_3" },
    } as unknown as WebApp;
    (window as unknown as { Telegram: unknown }).Telegram = { WebApp: official };
    const host = connect({ hash: "" });
    expect(host.mode).toBe("sdk");
    expect(host.webApp).toBe(official);
    expect(host.startParam).toBe("listing_3");
  });
});

describe("in a plain browser", () => {
  it("draws the MainButton in the page and calls onClick while active", () => {
    const host = connect({ hash: launchHash() });
    const clicked = vi.fn();
    const main = host.webApp.MainButton;
    main.onClick(clicked);
    main.setText("Submit").show();
    const button = document.querySelector<HTMLButtonElement>(".tgx-main-button")!;
    expect(button.hidden).toBe(false);
    expect(button.textContent).toBe("Submit");
    expect(document.documentElement.classList.contains("tgx-main-visible")).toBe(true);
    button.click();
    expect(clicked).toHaveBeenCalledTimes(1);
    main.showProgress();
    button.click();
    main.hideProgress().disable();
    button.click();
    expect(clicked).toHaveBeenCalledTimes(1);
    main.enable().hide();
    expect(button.hidden).toBe(true);
  });

  it("draws the BackButton in the page", () => {
    const host = connect({ hash: launchHash() });
    const back = vi.fn();
    host.webApp.BackButton.onClick(back);
    host.webApp.BackButton.show();
    const button = document.querySelector<HTMLButtonElement>(".tgx-back-button")!;
    expect(button.hidden).toBe(false);
    button.click();
    expect(back).toHaveBeenCalledTimes(1);
    host.webApp.BackButton.hide();
    expect(button.hidden).toBe(true);
  });

  it("shows confirm and alert as in-page dialogs, with the message as text", async () => {
    const host = connect({ hash: launchHash() });
    const answer = confirmAsync(host.webApp, "<img src=x onerror=alert(1)> delete?");
    const dialog = document.querySelector(".tgx-popup")!;
    expect(dialog.querySelector(".tgx-popup-message")!.textContent).toBe(
      "<img src=x onerror=alert(1)> delete?",
    );
    expect(dialog.querySelector("img")).toBeNull();
    dialog.querySelector<HTMLButtonElement>('[data-button-id="cancel"]')!.click();
    await expect(answer).resolves.toBe(false);
    expect(document.querySelector(".tgx-popup")).toBeNull();

    const alerted = new Promise<void>((resolve) => host.webApp.showAlert("Saved", resolve));
    document.querySelector<HTMLButtonElement>('.tgx-popup [data-button-id="ok"]')!.click();
    await expect(alerted).resolves.toBeUndefined();
  });
});

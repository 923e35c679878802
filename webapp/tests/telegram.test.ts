// The Telegram adapter against Telegram's Mini App protocol as the clients speak it: what
// leaves the page (JSON {eventType, eventData} posted to the parent frame, or
// TelegramWebviewProxy.postEvent / external.notify in the apps) and what comes back
// (messages from the parent frame, or Telegram.WebView.receiveEvent). Only the window's
// edges are stand-ins; @telegram-apps/bridge runs as it does in the app.

import { resetPackageState } from "@telegram-apps/bridge";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  applyTheme,
  confirmAsync,
  connectTelegram,
  isLaunchHash,
  normalizeColor,
  parseInitData,
  parseLaunchHash,
  type TelegramHost,
} from "../src/telegram";
import { initData, launchHash, quote } from "./helpers";

const SANDBOX_THEME = {
  bg_color: "#ffffff",
  text_color: "#000000",
  hint_color: "#999999",
  button_color: "#2481cc",
  button_text_color: "#ffffff",
};

interface Message {
  eventType: string;
  eventData?: unknown;
}

const hosts: TelegramHost[] = [];
const restores: (() => void)[] = [];

function connect(options: Parameters<typeof connectTelegram>[0]): TelegramHost {
  const host = connectTelegram(options);
  hosts.push(host);
  return host;
}

/** Give ``target[name]`` another value until the test ends. */
function replace(target: object, name: string, value: unknown): void {
  const before = Object.getOwnPropertyDescriptor(target, name);
  Object.defineProperty(target, name, { value, configurable: true, writable: true });
  restores.push(() => {
    if (before) Object.defineProperty(target, name, before);
    else delete (target as Record<string, unknown>)[name];
  });
}

afterEach(() => {
  for (const host of hosts.splice(0)) host.dispose();
  for (const restore of restores.splice(0).reverse()) restore();
  resetPackageState();
  document.documentElement.removeAttribute("style");
  for (const name of ["Telegram", "TelegramGameProxy", "TelegramGameProxy_receiveEvent"]) {
    delete (window as unknown as Record<string, unknown>)[name];
  }
});

/** The page inside a frame, as Telegram Web and the sandbox chat page open it. */
function inFrame(referrer = "") {
  const sent: { message: Message; raw: unknown; targetOrigin: string }[] = [];
  const parent = {
    postMessage: vi.fn((raw: unknown, targetOrigin: string) => {
      sent.push({ message: JSON.parse(raw as string) as Message, raw, targetOrigin });
    }),
  };
  replace(window, "parent", parent);
  replace(window, "self", {}); // self !== top: framed
  replace(document, "referrer", referrer);
  /** A message from the parent frame (or from ``source``), as Telegram Web sends it. */
  const fromParent = (eventType: string, eventData?: unknown, source: unknown = parent) => {
    const event = new MessageEvent("message", { data: JSON.stringify({ eventType, eventData }) });
    Object.defineProperty(event, "source", { value: source });
    window.dispatchEvent(event);
  };
  const types = () => sent.map((s) => s.message.eventType);
  const last = (eventType: string) => sent.filter((s) => s.message.eventType === eventType).at(-1)?.message;
  return { sent, types, last, fromParent };
}

/** The page in Telegram's apps: TelegramWebviewProxy out, Telegram.WebView.receiveEvent in. */
function inApp() {
  const postEvent = vi.fn<(eventType: string, eventData?: string) => void>();
  replace(window, "TelegramWebviewProxy", { postEvent });
  const receive = (eventType: string, eventData?: unknown) =>
    (
      window as unknown as { Telegram: { WebView: { receiveEvent(t: string, d?: unknown): void } } }
    ).Telegram.WebView.receiveEvent(eventType, eventData);
  return { postEvent, receive };
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
  });

  it("has empty initData without a launch fragment", () => {
    const host = connect({ hash: "" });
    expect(host.webApp.initData).toBe("");
    expect(host.webApp.initDataUnsafe).toEqual({});
    expect(host.webApp.version).toBe("6.0");
  });

  it("keeps initData out of web storage", () => {
    inFrame();
    connect({ hash: launchHash() });
    const stored = [...Object.values({ ...localStorage }), ...Object.values({ ...sessionStorage })].join(
      "\n",
    );
    expect(stored).not.toContain("AAHtest");
  });

  it("compares versions numerically", () => {
    const at = (version: string) =>
      connect({ hash: `#tgWebAppData=x&tgWebAppVersion=${version}&tgWebAppPlatform=web` }).webApp;
    expect(at("8.0").isVersionAtLeast("6.2")).toBe(true);
    expect(at("6.10").isVersionAtLeast("6.9")).toBe(true);
    expect(at("6.1").isVersionAtLeast("6.2")).toBe(false);
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

  it("follows theme_changed from the host, fires themeChanged and recolours the MainButton", () => {
    const frame = inFrame();
    const host = connect({ hash: launchHash(initData(), SANDBOX_THEME) });
    const changed = vi.fn();
    host.webApp.onEvent("themeChanged", changed);
    host.webApp.MainButton.setParams({ text: "Save", is_visible: true });
    frame.fromParent("theme_changed", {
      theme_params: { ...SANDBOX_THEME, bg_color: "#000000", button_color: "#5288c1" },
    });
    expect(changed).toHaveBeenCalledTimes(1);
    expect(css("--tg-theme-bg-color")).toBe("#000000");
    expect(host.webApp.colorScheme).toBe("dark");
    expect(frame.last("web_app_setup_main_button")?.eventData).toMatchObject({ color: "#5288c1" });
  });
});

describe("in a frame (Telegram Web, the sandbox chat page)", () => {
  it("announces itself and asks for the theme and viewport, as JSON posted to the parent", () => {
    const frame = inFrame("http://127.0.0.1:8081/sandbox/chat");
    const host = connect({ hash: launchHash() });
    expect(host.mode).toBe("iframe");
    expect(frame.sent.map((s) => s.message)).toEqual([
      { eventType: "iframe_ready", eventData: { reload_supported: false } },
      { eventType: "web_app_request_theme" },
      { eventType: "web_app_request_viewport" },
    ]);
    for (const { raw, targetOrigin } of frame.sent) {
      expect(typeof raw).toBe("string");
      expect(targetOrigin).toBe("http://127.0.0.1:8081");
    }
  });

  it("posts to Telegram Web's origin when the framing page is unknown", () => {
    const frame = inFrame("");
    connect({ hash: launchHash() });
    expect(frame.sent.map((s) => s.targetOrigin)).toEqual(Array(3).fill("https://web.telegram.org"));
  });

  it("sends ready, expand and the buttons' state as protocol methods, drawing nothing itself", () => {
    const frame = inFrame();
    const host = connect({ hash: launchHash() });
    host.webApp.ready();
    host.webApp.expand();
    host.webApp.MainButton.setParams({ text: "Save", is_visible: true });
    host.webApp.MainButton.showProgress();
    host.webApp.BackButton.show();
    host.webApp.close();
    expect(frame.types().slice(3)).toEqual([
      "web_app_ready",
      "web_app_expand",
      "web_app_setup_main_button",
      "web_app_setup_main_button",
      "web_app_setup_back_button",
      "web_app_close",
    ]);
    expect(frame.last("web_app_setup_main_button")?.eventData).toEqual({
      is_visible: true,
      is_active: false,
      is_progress_visible: true,
      text: "Save",
      color: "#2481cc",
      text_color: "#ffffff",
    });
    expect(frame.last("web_app_setup_back_button")?.eventData).toEqual({ is_visible: true });
    expect(document.querySelector(".tgx-main-button")).toBeNull();
    expect(document.querySelector(".tgx-back-button")).toBeNull();
  });

  it("does not repeat a MainButton state the host already has", () => {
    const frame = inFrame();
    const host = connect({ hash: launchHash() });
    host.webApp.MainButton.setText("Save").show();
    host.webApp.MainButton.show();
    host.webApp.MainButton.enable();
    expect(frame.types().filter((t) => t === "web_app_setup_main_button")).toHaveLength(2);
  });

  it("hears main_button_pressed and back_button_pressed from the parent only", () => {
    const frame = inFrame();
    const host = connect({ hash: launchHash() });
    const main = vi.fn();
    const back = vi.fn();
    host.webApp.MainButton.onClick(main);
    host.webApp.BackButton.onClick(back);
    frame.fromParent("main_button_pressed");
    frame.fromParent("back_button_pressed");
    frame.fromParent("main_button_pressed", undefined, { postMessage() {} });
    expect(main).toHaveBeenCalledTimes(1);
    expect(back).toHaveBeenCalledTimes(1);
    host.webApp.MainButton.offClick(main);
    frame.fromParent("main_button_pressed");
    expect(main).toHaveBeenCalledTimes(1);
  });

  it("follows viewport_changed", () => {
    const frame = inFrame();
    const host = connect({ hash: launchHash() });
    const changed = vi.fn();
    host.webApp.onEvent("viewportChanged", changed);
    frame.fromParent("viewport_changed", { height: 612, is_expanded: false, is_state_stable: true });
    expect(document.documentElement.style.getPropertyValue("--tg-viewport-height")).toBe("612px");
    expect(host.webApp.isExpanded).toBe(false);
    expect(changed).toHaveBeenCalledTimes(1);
    // Not the protocol's shape: the library drops it and says so on the console.
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    frame.fromParent("viewport_changed", { height: "tall" });
    expect(changed).toHaveBeenCalledTimes(1);
    expect(logged).toHaveBeenCalled();
  });

  it("asks the host for a popup, labelled by the host, and resolves on popup_closed", async () => {
    const frame = inFrame();
    const host = connect({ hash: launchHash(), labels: { ok: "Да", cancel: "Нет" } });
    const answer = confirmAsync(host.webApp, "Archive it?");
    expect(frame.last("web_app_open_popup")?.eventData).toEqual({
      title: "",
      message: "Archive it?",
      buttons: [
        { id: "cancel", type: "cancel" },
        { id: "ok", type: "ok" },
      ],
    });
    expect(document.querySelector(".tgx-popup")).toBeNull();
    frame.fromParent("popup_closed", { button_id: "ok" });
    await expect(answer).resolves.toBe(true);
  });

  it("draws a popup in the page when the host's is busy or the message too long", async () => {
    const frame = inFrame();
    const host = connect({ hash: launchHash() });
    const first = confirmAsync(host.webApp, "First?");
    const second = confirmAsync(host.webApp, "Second?");
    expect(frame.types().filter((t) => t === "web_app_open_popup")).toHaveLength(1);
    document.querySelector<HTMLButtonElement>('.tgx-popup [data-button-id="ok"]')!.click();
    await expect(second).resolves.toBe(true);
    frame.fromParent("popup_closed", {}); // closed without a button
    await expect(first).resolves.toBe(false);

    const long = confirmAsync(host.webApp, "x".repeat(257));
    expect(frame.types().filter((t) => t === "web_app_open_popup")).toHaveLength(1);
    document.querySelector<HTMLButtonElement>('.tgx-popup [data-button-id="cancel"]')!.click();
    await expect(long).resolves.toBe(false);
  });

  it("draws what an older host does not know: the BackButton before 6.1, popups before 6.2", async () => {
    const frame = inFrame();
    const host = connect({ hash: `#tgWebAppData=x&tgWebAppVersion=6.0&tgWebAppPlatform=web` });
    host.webApp.BackButton.show();
    host.webApp.MainButton.setText("Go").show();
    const answer = confirmAsync(host.webApp, "Sure?");
    expect(frame.types()).not.toContain("web_app_setup_back_button");
    expect(frame.types()).not.toContain("web_app_open_popup");
    expect(frame.types()).toContain("web_app_setup_main_button");
    expect(document.querySelector<HTMLButtonElement>(".tgx-back-button")!.hidden).toBe(false);
    document.querySelector<HTMLButtonElement>('.tgx-popup [data-button-id="ok"]')!.click();
    await expect(answer).resolves.toBe(true);
  });

  it("stops listening once disposed", () => {
    const frame = inFrame();
    const host = connect({ hash: launchHash() });
    const back = vi.fn();
    host.webApp.BackButton.onClick(back);
    host.dispose();
    frame.fromParent("back_button_pressed");
    expect(back).not.toHaveBeenCalled();
  });
});

describe("in Telegram's apps", () => {
  it("posts through TelegramWebviewProxy and hears Telegram.WebView.receiveEvent", () => {
    const app = inApp();
    const host = connect({ hash: launchHash() });
    expect(host.mode).toBe("native");
    expect(app.postEvent.mock.calls.map(([type]) => type)).toEqual([
      "web_app_request_theme",
      "web_app_request_viewport",
    ]);
    host.webApp.ready();
    host.webApp.BackButton.show();
    expect(app.postEvent).toHaveBeenCalledWith("web_app_ready", undefined);
    expect(app.postEvent).toHaveBeenCalledWith(
      "web_app_setup_back_button",
      JSON.stringify({ is_visible: true }),
    );
    const back = vi.fn();
    const changed = vi.fn();
    host.webApp.BackButton.onClick(back);
    host.webApp.onEvent("themeChanged", changed);
    app.receive("back_button_pressed");
    app.receive("theme_changed", { theme_params: { ...SANDBOX_THEME, bg_color: "#17212b" } });
    expect(back).toHaveBeenCalledTimes(1);
    expect(changed).toHaveBeenCalledTimes(1);
    expect(host.webApp.colorScheme).toBe("dark");
  });

  it("posts through external.notify in Windows' webview", () => {
    const notify = vi.fn<(message: string) => void>();
    replace(window, "external", { notify });
    const host = connect({ hash: launchHash() });
    expect(host.mode).toBe("native");
    host.webApp.expand();
    expect(notify.mock.calls.map(([raw]) => JSON.parse(raw))).toContainEqual({ eventType: "web_app_expand" });
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

// A small typed adapter for Telegram's Mini App API (window.Telegram.WebApp).
//
// Telegram's own telegram-web-app.js is not loaded (it is fetched from telegram.org and
// reports usage). When some page did load it, its WebApp object is used as it is.
// Otherwise this module implements the same surface (the subset this app uses) over
// the same wire protocol the script speaks:
//
//   launch data   the URL fragment: #tgWebAppData=<initData>&tgWebAppVersion=…&
//                 tgWebAppPlatform=…&tgWebAppThemeParams=<json> (optionally after a
//                 "#path?" prefix), read once and kept in memory only;
//   native apps   window.TelegramWebviewProxy.postEvent(type, json) out, and
//                 window.Telegram.WebView.receiveEvent(type, data) in;
//   iframes       (Telegram Web, the sandbox chat page) postMessage to the parent as
//                 JSON {eventType, eventData}, and "message" events from the parent in;
//   a plain page  no host: the MainButton, the BackButton and popups are drawn in the
//                 page itself, and the theme falls back to light or dark defaults.

import { parseLaunchHash } from "./launch";
import type { PopupLabels, TelegramHost, TelegramWindow, WebApp } from "./types";
import { FallbackWebApp } from "./webapp";

export * from "./launch";
export * from "./theme";
export type * from "./types";

export interface ConnectOptions {
  window?: Window;
  /** The launch fragment; defaults to window.location.hash. */
  hash?: string;
  labels?: PopupLabels;
}

/** Telegram's WebApp when the official script is on the page, else our implementation. */
export function connectTelegram(options: ConnectOptions = {}): TelegramHost {
  const win = (options.window ?? window) as TelegramWindow;
  const hash = options.hash ?? win.location.hash;
  const launch = parseLaunchHash(hash);
  const official = win.Telegram?.WebApp;
  if (official && typeof official.ready === "function") {
    return {
      webApp: official,
      mode: "sdk",
      launchPath: launch.path,
      startParam: official.initDataUnsafe?.start_param ?? launch.params.tgWebAppStartParam ?? null,
      setLabels: () => undefined,
      dispose: () => undefined,
    };
  }
  return new FallbackWebApp(win, launch, options.labels ?? { ok: "OK", cancel: "Cancel" }).host();
}

// --- promise helpers ---------------------------------------------------------

export function alertAsync(webApp: WebApp, message: string): Promise<void> {
  return new Promise((resolve) => webApp.showAlert(message, () => resolve()));
}

export function confirmAsync(webApp: WebApp, message: string): Promise<boolean> {
  return new Promise((resolve) => webApp.showConfirm(message, (ok) => resolve(Boolean(ok))));
}

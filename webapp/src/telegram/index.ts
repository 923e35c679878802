// A small typed adapter for Telegram's Mini App API: the subset of Telegram.WebApp this
// app uses, with the names and behaviour of Telegram's telegram-web-app.js, over the wire
// protocol as @telegram-apps/bridge speaks it (bridge.ts). telegram-web-app.js itself is
// not loaded: it comes from telegram.org and reports usage.
//
//   launch data   the URL fragment: #tgWebAppData=<initData>&tgWebAppVersion=…&
//                 tgWebAppPlatform=…&tgWebAppThemeParams=<json> (optionally after a
//                 "#path?" prefix), read once and kept in memory only (launch.ts);
//   the host      Telegram Web or the sandbox chat page (iframe), the apps (native), or
//                 none: then the MainButton, the BackButton and popups are drawn in the
//                 page, and the theme falls back to light or dark defaults.

import { parseLaunchHash } from "./launch";
import type { PopupLabels, TelegramHost, WebApp } from "./types";
import { MiniApp } from "./webapp";

export * from "./launch";
export * from "./theme";
export type * from "./types";

export interface ConnectOptions {
  /** The launch fragment; defaults to window.location.hash. */
  hash?: string;
  labels?: PopupLabels;
}

export function connectTelegram(options: ConnectOptions = {}): TelegramHost {
  const launch = parseLaunchHash(options.hash ?? window.location.hash);
  return new MiniApp(window, launch, options.labels ?? { ok: "OK", cancel: "Cancel" }).host();
}

// --- promise helpers ---------------------------------------------------------

export function alertAsync(webApp: WebApp, message: string): Promise<void> {
  return new Promise((resolve) => webApp.showAlert(message, () => resolve()));
}

export function confirmAsync(webApp: WebApp, message: string): Promise<boolean> {
  return new Promise((resolve) => webApp.showConfirm(message, (ok) => resolve(Boolean(ok))));
}

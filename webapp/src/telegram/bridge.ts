// Telegram's Mini App protocol, spoken by @telegram-apps/bridge (a maintained
// implementation of it, typed method by method and event by event):
//
//   iframe   Telegram Web, the sandbox chat page: {eventType, eventData} as JSON posted to
//            window.parent, and events back the same way, from the parent only;
//   native   the apps: window.TelegramWebviewProxy.postEvent(type, json), or
//            window.external.notify(json) in Windows' webview; events arrive through
//            window.Telegram.WebView.receiveEvent(type, data);
//   browser  no host: nothing is sent, and the caller draws its own controls.
//
// A method goes out only when the host's version knows it (the library's table of
// versions), so an older client never sees a method it would reject.

import {
  hasWebviewProxy,
  isIframe,
  on,
  postEvent,
  setTargetOrigin,
  supports,
  type EventListener,
  type EventName,
  type MethodName,
  type MethodParams,
} from "@telegram-apps/bridge";
import type { HostMode } from "./types";

export type { MethodParams } from "@telegram-apps/bridge";

export const TELEGRAM_WEB_ORIGIN = "https://web.telegram.org";

/** The transport the page offers, tried in the library's order. */
export function hostMode(win: Window = window): HostMode {
  if (isIframe()) return "iframe";
  const external = (win as { external?: { notify?: unknown } }).external;
  if (hasWebviewProxy(win) || typeof external?.notify === "function") return "native";
  return "browser";
}

/**
 * Where posts to the parent frame may go: the origin of the page that framed the app
 * (Telegram Web, or the sandbox chat page in development), else Telegram Web's.
 * Nothing secret travels this way (button texts, popups); initData never does.
 */
export function parentOrigin(win: Window = window): string {
  const candidates = [win.location.ancestorOrigins?.[0], win.document.referrer];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      const { origin, protocol } = new URL(candidate);
      if (protocol === "https:" || protocol === "http:") return origin;
    } catch {
      // not a URL: try the next
    }
  }
  return TELEGRAM_WEB_ORIGIN;
}

export class Bridge {
  private readonly offs: (() => void)[] = [];

  constructor(
    readonly mode: HostMode,
    private readonly version: string,
    win: Window = window,
  ) {
    if (mode === "iframe") setTargetOrigin(parentOrigin(win));
  }

  /** Send a method when there is a host whose version knows it; false when not sent. */
  post<M extends MethodName>(method: M, params?: MethodParams<M>): boolean {
    if (this.mode === "browser" || !supports(method, this.version)) return false;
    (postEvent as (method: MethodName, params?: unknown) => void)(method, params);
    return true;
  }

  /** Listen to an event from the host (until dispose). */
  on<E extends EventName>(event: E, listener: EventListener<E>): void {
    if (this.mode === "browser") return;
    this.offs.push(on(event, listener));
  }

  dispose(): void {
    for (const off of this.offs.splice(0)) off();
  }
}

// Telegram.WebApp implemented over the host's event protocol (native bridge or iframe
// postMessage), with the controls drawn in the page when there is no host.

import { BackButtonState, MainButtonState } from "./buttons";
import { InPageControls } from "./controls";
import type { LaunchParams } from "./launch";
import { parseInitData, versionAtLeast } from "./launch";
import { applyTheme, cleanTheme, type ThemeParams } from "./theme";
import type {
  HostMode,
  InitDataUnsafe,
  PopupButton,
  PopupLabels,
  PostEvent,
  ReceiveEvent,
  TelegramHost,
  TelegramWindow,
  WebApp,
  WebAppEvent,
} from "./types";

export class FallbackWebApp implements WebApp {
  readonly initData: string;
  readonly initDataUnsafe: InitDataUnsafe;
  readonly version: string;
  readonly platform: string;
  colorScheme: "light" | "dark" = "light";
  themeParams: ThemeParams = {};
  isExpanded = true;
  readonly MainButton: MainButtonState;
  readonly BackButton: BackButtonState;

  private readonly mode: HostMode;
  private readonly post: PostEvent | null;
  private readonly handlers = new Map<string, Set<() => void>>();
  private readonly cleanups: (() => void)[] = [];
  private popupCallback: ((buttonId: string) => void) | null = null;
  private labels: PopupLabels;
  private readonly ui: InPageControls;

  constructor(
    private readonly win: TelegramWindow,
    private readonly launch: LaunchParams,
    labels: PopupLabels,
  ) {
    const params = launch.params;
    this.labels = labels;
    this.initData = params.tgWebAppData ?? "";
    this.initDataUnsafe = this.initData ? parseInitData(this.initData) : {};
    this.version = params.tgWebAppVersion ?? "6.0";
    this.platform = params.tgWebAppPlatform ?? "unknown";
    [this.mode, this.post] = this.bridge();
    this.ui = new InPageControls(win.document);
    this.cleanups.push(() => this.ui.remove());
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
    if (this.mode === "iframe") this.post?.("iframe_ready", { reload_supported: false });
    this.post?.("web_app_request_theme");
    this.post?.("web_app_request_viewport");
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

  private bridge(): [HostMode, PostEvent | null] {
    const proxy = this.win.TelegramWebviewProxy;
    if (proxy && typeof proxy.postEvent === "function") {
      return ["native", (type, data) => proxy.postEvent(type, JSON.stringify(data ?? ""))];
    }
    let parent: Window | null = null;
    try {
      parent = this.win.parent && this.win.parent !== this.win ? this.win.parent : null;
    } catch {
      parent = null;
    }
    if (parent) {
      const target = parent;
      return [
        "iframe",
        (type, data) => target.postMessage(JSON.stringify({ eventType: type, eventData: data ?? "" }), "*"),
      ];
    }
    return ["browser", null];
  }

  private listen(): void {
    const receive: ReceiveEvent = (type, data) => this.receive(type, data);
    if (this.mode === "native") {
      const telegram = (this.win.Telegram ??= {});
      telegram.WebView = { ...(telegram.WebView ?? {}), receiveEvent: receive };
      this.win.TelegramGameProxy = { receiveEvent: receive };
      this.win.TelegramGameProxy_receiveEvent = receive;
    }
    if (this.mode === "iframe") {
      const parent = this.win.parent;
      const onMessage = (event: MessageEvent) => {
        if (event.source !== parent) return;
        let message: unknown = event.data;
        if (typeof message === "string") {
          try {
            message = JSON.parse(message);
          } catch {
            return;
          }
        }
        const { eventType, eventData } = (message ?? {}) as { eventType?: unknown; eventData?: unknown };
        if (typeof eventType === "string") this.receive(eventType, eventData);
      };
      this.win.addEventListener("message", onMessage);
      this.cleanups.push(() => this.win.removeEventListener("message", onMessage));
    }
    const media = this.win.matchMedia?.("(prefers-color-scheme: dark)");
    if (media && this.mode === "browser") {
      const onScheme = () => this.setTheme(this.themeParams, true);
      media.addEventListener?.("change", onScheme);
      this.cleanups.push(() => media.removeEventListener?.("change", onScheme));
    }
  }

  /** An event from the host (also reachable as Telegram.WebView.receiveEvent). */
  receive(eventType: string, data: unknown): void {
    const body = (data && typeof data === "object" ? data : {}) as Record<string, unknown>;
    switch (eventType) {
      case "main_button_pressed":
        this.emit("mainButtonClicked");
        break;
      case "back_button_pressed":
        this.emit("backButtonClicked");
        break;
      case "theme_changed":
        if (body.theme_params) this.setTheme(cleanTheme(body.theme_params), true);
        break;
      case "viewport_changed":
        if (typeof body.height === "number") {
          this.isExpanded = Boolean(body.is_expanded);
          this.win.document.documentElement.style.setProperty("--tg-viewport-height", `${body.height}px`);
          this.emit("viewportChanged");
        }
        break;
      case "popup_closed": {
        const callback = this.popupCallback;
        this.popupCallback = null;
        callback?.(typeof body.button_id === "string" ? body.button_id : "");
        break;
      }
      default:
        break;
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
    return versionAtLeast(this.version, version);
  }

  ready(): void {
    this.post?.("web_app_ready");
  }

  expand(): void {
    this.post?.("web_app_expand");
  }

  close(): void {
    this.post?.("web_app_close");
  }

  /** Post to the host when there is one that knows the event; report whether it was sent. */
  postIf(minVersion: string, eventType: string, data?: unknown): boolean {
    if (!this.post || !this.isVersionAtLeast(minVersion)) return false;
    this.post(eventType, data);
    return true;
  }

  get controls(): InPageControls {
    return this.ui;
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

  private popup(message: string, buttons: PopupButton[], done: (buttonId: string) => void): void {
    // Telegram refuses messages over 256 characters and a second popup at once.
    if (message.length <= 256 && !this.popupCallback && this.post && this.isVersionAtLeast("6.2")) {
      this.popupCallback = done;
      this.post("web_app_open_popup", { title: "", message, buttons });
      return;
    }
    this.ui.popup(message, buttons, done);
  }
}

// The shell: sign-in, header and tabs, routing, the Telegram buttons, toasts and errors.
// Pages (pages/*.ts) render into the content area through a PageContext.

import { ApiError, type ApiClient } from "./api";
import { h, mount } from "./dom";
import { languageFromCode, translator, type MessageKey, type Translate } from "./i18n";
import { buildHash, Router, type Location, type Match, type RouteDef, type RouterWindow } from "./router";
import { alertAsync, confirmAsync, type TelegramHost } from "./telegram";
import {
  CATEGORY_IDS,
  isCategory,
  type CategoryId,
  type Currency,
  type Language,
  type UserRead,
} from "./types";
import { errorBox, spinner, type View } from "./ui";
import { errorText, LocalError } from "./errors";
import { UploadError, uploadFile } from "./upload";

export type Tab = "search" | "mine" | "new" | "watches" | "feed" | "calendars" | "guest" | "moderation";

export interface PageContext {
  app: App;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Where the page draws; replaced on the next navigation. */
  view: HTMLElement;
  /** Aborted when the user leaves the page. */
  signal: AbortSignal;
  t: Translate;
  /** The MainButton for this page (ignored once the page is left); null hides it. */
  mainButton(button: MainAction | null): void;
}

export interface MainAction {
  text: string;
  onClick: () => void | Promise<void>;
  active?: boolean;
}

export type Page = (ctx: PageContext) => void | Promise<void>;

export interface Route extends RouteDef {
  page?: Page;
  tab?: Tab;
  redirect?: string;
  /** Where the BackButton leads when the app has no history to go back through. */
  parent?: (params: Record<string, string>) => string;
  admin?: boolean;
}

export interface AppOptions {
  root: HTMLElement;
  host: TelegramHost;
  api: ApiClient;
  routes: readonly Route[];
  win?: RouterWindow;
  /** Starts the app over from the address's launch data (a page reload by default). */
  relaunch?: () => void;
}

export class App implements View {
  language: Language;
  t: Translate;
  user: UserRead | null = null;
  /** The categories the server offers (its answer to GET /listings/categories). */
  categories: CategoryId[] = [];
  /** The currency a new listing starts with (the api's suggestion for this user). */
  suggestedCurrency: Currency = "RUB";
  /** Sends a photo to its upload ticket (a stand-in in tests). */
  uploader: typeof uploadFile = uploadFile;
  readonly api: ApiClient;
  readonly host: TelegramHost;
  readonly router: Router<Route>;

  private readonly root: HTMLElement;
  private readonly win: RouterWindow;
  private readonly content = h("main", { class: "content", id: "content" });
  private readonly toastBox = h("div", {
    class: "toast",
    role: "status",
    aria: { live: "polite" },
    hidden: true,
  });
  private nav: HTMLElement | null = null;
  private page: AbortController | null = null;
  private match: Match<Route> | null = null;
  private mainHandler: (() => void) | null = null;
  private toastTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: AppOptions) {
    this.root = options.root;
    this.win = options.win ?? window;
    this.host = options.host;
    this.api = options.api;
    this.language = languageFromCode(this.host.webApp.initDataUnsafe.user?.language_code);
    this.t = translator(this.language);
    this.host.setLabels({ ok: this.t("common.ok"), cancel: this.t("common.cancel") });
    const relaunch = options.relaunch ?? (() => window.location.reload());
    this.router = new Router(
      options.routes,
      (match, location) => this.show(match, location),
      this.win,
      () => {
        this.stop();
        relaunch();
      },
    );
    this.host.webApp.BackButton.onClick(() => this.back());
  }

  get webApp() {
    return this.host.webApp;
  }

  get isAdmin(): boolean {
    return this.user?.role === "admin";
  }

  /** Sign in with initData, then draw the shell and the first page. */
  async start(initialHash: string): Promise<void> {
    this.webApp.ready();
    this.webApp.expand();
    if (!this.webApp.initData) {
      mount(
        this.root,
        h(
          "div",
          { class: "splash" },
          h("h1", { text: this.t("app.noLaunchTitle") }),
          h("p", { text: this.t("app.noLaunchText") }),
        ),
      );
      return;
    }
    // initData is in memory now: take it out of the address (and this history entry).
    this.win.history.replaceState({ appDepth: 0 }, "", buildHash(initialHash));
    mount(this.root, spinner(this.t("app.loading")));
    try {
      const auth = await this.api.authenticate();
      this.user = auth.user;
      if (auth.user.language) this.setLanguage(auth.user.language, false);
    } catch (error) {
      mount(
        this.root,
        h(
          "div",
          { class: "splash" },
          h("h1", { text: this.t("app.authFailed") }),
          errorBox(this.errorText(error), {
            label: this.t("app.retry"),
            onClick: () => void this.start(initialHash),
          }),
        ),
      );
      return;
    }
    this.categories = await this.api.categories().catch(() => []);
    this.suggestedCurrency = await this.api.suggestedCurrency().catch(() => this.suggestedCurrency);
    this.drawShell();
    this.router.start(initialHash);
  }

  /** Stop listening for navigation and leave the current page (tests, hot reload). */
  stop(): void {
    this.router.stop();
    this.page?.abort();
    this.setMain(null);
  }

  setLanguage(language: Language, redraw = true): void {
    this.language = language;
    this.t = translator(language);
    this.host.setLabels({ ok: this.t("common.ok"), cancel: this.t("common.cancel") });
    if (redraw) {
      this.drawShell();
      this.router.refresh();
    }
  }

  categoryTitle(id: string): string {
    return isCategory(id) ? this.t(`category.${id}`) : id;
  }

  /** The categories to offer: the server's list, else the contract's. */
  categoryOptions(): { value: string; label: string }[] {
    const ids = this.categories.length ? this.categories : CATEGORY_IDS;
    return ids.map((id) => ({ value: id, label: this.categoryTitle(id) }));
  }

  navigate(
    path: string,
    query?: Record<string, string | undefined | null>,
    options: { replace?: boolean } = {},
  ): void {
    this.router.navigate(buildHash(path, query), options);
  }

  back(): void {
    const match = this.match;
    const parent = match?.route.parent?.(match.params) ?? "/search";
    this.router.back(parent);
  }

  toast(message: string, ms = 3500): void {
    this.toastBox.textContent = message;
    this.toastBox.hidden = false;
    if (this.toastTimer) clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => {
      this.toastBox.hidden = true;
    }, ms);
  }

  alert(message: string): Promise<void> {
    return alertAsync(this.webApp, message);
  }

  confirm(message: string): Promise<boolean> {
    return confirmAsync(this.webApp, message);
  }

  /** What to tell the user about a failure, in their language. */
  errorText(error: unknown): string {
    if (!(error instanceof ApiError) && !(error instanceof UploadError) && !(error instanceof LocalError)) {
      console.error(error);
    }
    return errorText(error, this.t, this.language);
  }

  // --- drawing ------------------------------------------------------------

  private drawShell(): void {
    const t = this.t;
    const tabs: [Tab, string, MessageKey][] = [
      ["search", "/search", "nav.search"],
      ["mine", "/mine", "nav.mine"],
      ["new", "/new", "nav.new"],
      ["watches", "/watches", "nav.watches"],
      ["feed", "/feed", "nav.feed"],
      ["calendars", "/calendars", "nav.calendars"],
      ["guest", "/guest", "nav.guest"],
    ];
    if (this.isAdmin) tabs.push(["moderation", "/moderation", "nav.moderation"]);
    this.nav = h(
      "nav",
      { class: "tabs", aria: { label: t("app.title") } },
      tabs.map(([tab, path, key]) => h("a", { class: "tab", href: `#${path}`, text: t(key), data: { tab } })),
    );
    const other: Language = this.language === "ru" ? "en" : "ru";
    const header = h(
      "header",
      { class: "header" },
      this.nav,
      h("button", {
        type: "button",
        class: "lang-switch",
        text: other.toUpperCase(),
        title: t("app.language"),
        aria: { label: t("app.language") },
        onClick: () => this.setLanguage(other),
      }),
    );
    mount(this.root, header, this.content, this.toastBox);
  }

  private show(match: Match<Route> | null, location: Location): void {
    this.page?.abort();
    const controller = new AbortController();
    this.page = controller;
    this.match = match;
    this.setMain(null);
    if (match?.route.redirect) {
      this.router.navigate(match.route.redirect, { replace: true });
      return;
    }
    for (const tab of this.nav?.querySelectorAll<HTMLElement>(".tab") ?? []) {
      const active = tab.dataset.tab === match?.route.tab;
      tab.classList.toggle("active", active);
      if (active) tab.setAttribute("aria-current", "page");
      else tab.removeAttribute("aria-current");
    }
    if (match && !match.route.tab) this.webApp.BackButton.show();
    else this.webApp.BackButton.hide();
    const view = h("section", { class: "page" });
    mount(this.content, view);
    if (!match?.route.page) {
      this.notFound(view);
      return;
    }
    const ctx: PageContext = {
      app: this,
      params: match.params,
      query: location.query,
      view,
      signal: controller.signal,
      t: this.t,
      mainButton: (button) => {
        if (!controller.signal.aborted) this.setMain(button);
      },
    };
    Promise.resolve()
      .then(() => match.route.page!(ctx))
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        if (!(error instanceof ApiError)) console.error(error);
        mount(
          view,
          errorBox(this.errorText(error), {
            label: this.t("app.retry"),
            onClick: () => this.router.refresh(),
          }),
        );
      });
  }

  private notFound(view: HTMLElement): void {
    mount(
      view,
      h("h1", { text: this.t("notFound.title") }),
      h("a", { class: "button secondary", href: "#/search", text: this.t("notFound.back") }),
    );
  }

  private setMain(button: MainAction | null): void {
    const main = this.webApp.MainButton;
    if (this.mainHandler) main.offClick(this.mainHandler);
    this.mainHandler = null;
    main.hideProgress();
    if (!button) {
      main.hide();
      return;
    }
    let running = false;
    const handler = () => {
      if (running) return;
      running = true;
      main.showProgress(false);
      Promise.resolve()
        .then(button.onClick)
        .catch((error: unknown) => this.toast(this.errorText(error)))
        .finally(() => {
          running = false;
          // The action may have moved to another page with its own button.
          if (this.mainHandler === handler) main.hideProgress();
        });
    };
    this.mainHandler = handler;
    main.setParams({ text: button.text, is_visible: true, is_active: button.active ?? true });
    main.onClick(handler);
  }
}

/** Where to start: a deep link (start parameter or "#path?…" launch prefix), else search. */
export function initialPath(host: Pick<TelegramHost, "startParam" | "launchPath">, search = ""): string {
  const start = host.startParam ?? new URLSearchParams(search).get("startapp");
  if (start) {
    const listing = /^(listing|edit)[_-](\d{1,18})$/.exec(start);
    if (listing) return listing[1] === "edit" ? `/listings/${listing[2]}/edit` : `/listings/${listing[2]}`;
    if (["search", "mine", "new", "watches", "feed", "calendars", "guest", "moderation"].includes(start))
      return `/${start}`;
  }
  const path = host.launchPath;
  if (path && /^\/[A-Za-z0-9/_-]*$/.test(path)) return path;
  return "/search";
}

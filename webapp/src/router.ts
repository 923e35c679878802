// A hash router: "#/listings/12/edit?tab=photos". The hash keeps the app a set of static
// files (no server rewrites needed) and leaves the path to whoever serves /app/.

export interface Location {
  path: string;
  query: URLSearchParams;
}

export interface Match<R> {
  route: R;
  params: Record<string, string>;
  location: Location;
}

export interface RouteDef {
  pattern: string;
}

export function parseHash(hash: string): Location {
  const body = hash.replace(/^#/, "");
  const q = body.indexOf("?");
  let path = q >= 0 ? body.slice(0, q) : body;
  const query = new URLSearchParams(q >= 0 ? body.slice(q + 1) : "");
  if (!path.startsWith("/")) path = `/${path}`;
  path = path.replace(/\/{2,}/g, "/");
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  return { path, query };
}

export function buildHash(path: string, query?: Record<string, string | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") params.set(key, value);
  }
  const search = params.toString();
  return `#${path}${search ? `?${search}` : ""}`;
}

/** Match ``path`` against ":name" patterns; the first route that fits wins. */
export function matchRoute<R extends RouteDef>(routes: readonly R[], location: Location): Match<R> | null {
  const parts = location.path.split("/").filter(Boolean);
  for (const route of routes) {
    const pattern = route.pattern.split("/").filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pattern.length && ok; i += 1) {
      const want = pattern[i]!;
      const got = parts[i]!;
      if (want.startsWith(":")) {
        try {
          params[want.slice(1)] = decodeURIComponent(got);
        } catch {
          ok = false;
        }
      } else if (want !== got) {
        ok = false;
      }
    }
    if (ok) return { route, params, location };
  }
  return null;
}

export interface RouterWindow {
  location: { hash: string };
  history: {
    readonly state: unknown;
    back(): void;
    pushState(data: unknown, unused: string, url?: string | null): void;
    replaceState(data: unknown, unused: string, url?: string | null): void;
  };
  addEventListener(type: "hashchange", listener: () => void): void;
  removeEventListener(type: "hashchange", listener: () => void): void;
}

interface EntryState {
  appDepth?: number;
}

/**
 * Calls ``onChange`` with the matched route on every hash change. Each history entry the
 * app pushes records how deep into the app's own history it is, so "back" leaves to a
 * parent page, not out of the app, when the user arrived by a deep link.
 */
export class Router<R extends RouteDef> {
  /** The depth of the entry drawn last. */
  private drawnDepth = 0;
  private readonly listener = () => {
    // Telegram's launch fragment again ("#tgWebAppData=…"): the host opened the app anew
    // over this page (the chat's menu button pressed while the app is open) and the
    // browser, seeing only the fragment change, did not reload. It is no route.
    if (LAUNCH_HASH.test(this.win.location.hash)) {
      this.onLaunch();
      return;
    }
    // An entry without our state is a link the page followed (<a href="#/…">): one step
    // deeper than the page it was on, so the BackButton returns there.
    if (this.win.history.state == null) {
      this.win.history.replaceState({ appDepth: this.drawnDepth + 1 }, "");
    }
    this.render();
  };

  constructor(
    private readonly routes: readonly R[],
    private readonly onChange: (match: Match<R> | null, location: Location) => void,
    private readonly win: RouterWindow = window,
    /** Called for a launch fragment in place of a route (the app starts over). */
    private readonly onLaunch: () => void = () => undefined,
  ) {}

  start(initialHash?: string): void {
    this.win.addEventListener("hashchange", this.listener);
    if (initialHash !== undefined) this.win.history.replaceState({ appDepth: 0 }, "", withHash(initialHash));
    this.render();
  }

  stop(): void {
    this.win.removeEventListener("hashchange", this.listener);
  }

  get current(): Location {
    return parseHash(this.win.location.hash);
  }

  get depth(): number {
    const state = this.win.history.state as EntryState | null;
    return typeof state?.appDepth === "number" ? state.appDepth : 0;
  }

  get canGoBack(): boolean {
    return this.depth > 0;
  }

  navigate(hash: string, options: { replace?: boolean } = {}): void {
    const target = withHash(hash);
    if (options.replace) {
      this.win.history.replaceState({ appDepth: this.depth }, "", target);
    } else if (this.win.location.hash !== target) {
      this.win.history.pushState({ appDepth: this.depth + 1 }, "", target);
    }
    this.render();
  }

  /** Back within the app when it has history, else to ``fallback`` in place. */
  back(fallback: string): void {
    if (this.canGoBack) this.win.history.back();
    else this.navigate(fallback, { replace: true });
  }

  /** Render the current location again (after a language switch, say). */
  refresh(): void {
    this.render();
  }

  private render(): void {
    this.drawnDepth = this.depth;
    const location = this.current;
    this.onChange(matchRoute(this.routes, location), location);
  }
}

/** The launch parameters Telegram puts in the fragment (see telegram/launch.ts). */
const LAUNCH_HASH = /(^#|[?&])tgWebApp[A-Za-z]*=/;

function withHash(hash: string): string {
  return hash.startsWith("#") ? hash : `#${hash}`;
}

import { afterEach, describe, expect, it, vi } from "vitest";
import { initialPath } from "../src/app";
import { buildHash, matchRoute, parseHash, Router, type Location, type Match } from "../src/router";

const ROUTES = [
  { pattern: "/", name: "home" },
  { pattern: "/search", name: "search" },
  { pattern: "/listings/:id", name: "detail" },
  { pattern: "/listings/:id/edit", name: "edit" },
] as const;
type R = (typeof ROUTES)[number];

const at = (hash: string) => matchRoute(ROUTES, parseHash(hash));

describe("parseHash and buildHash", () => {
  it("splits path and query", () => {
    const location = parseHash("#/search?q=red+bike&city=Kazan");
    expect(location.path).toBe("/search");
    expect(location.query.get("q")).toBe("red bike");
    expect(location.query.get("city")).toBe("Kazan");
  });

  it("normalises empty, relative and trailing-slash paths", () => {
    expect(parseHash("").path).toBe("/");
    expect(parseHash("#").path).toBe("/");
    expect(parseHash("#search/").path).toBe("/search");
    expect(parseHash("#//listings//3").path).toBe("/listings/3");
  });

  it("builds hashes without empty values", () => {
    expect(buildHash("/search", { q: "a b", city: "", category: undefined, price_min: null })).toBe(
      "#/search?q=a+b",
    );
    expect(buildHash("/mine")).toBe("#/mine");
  });
});

describe("matchRoute", () => {
  it("matches static and parameterised routes", () => {
    expect(at("#/")?.route.name).toBe("home");
    expect(at("#/search?q=x")?.route.name).toBe("search");
    expect(at("#/listings/42")).toMatchObject({ route: { name: "detail" }, params: { id: "42" } });
    expect(at("#/listings/42/edit")).toMatchObject({ route: { name: "edit" }, params: { id: "42" } });
  });

  it("decodes parameters and returns null for unknown paths", () => {
    expect(at("#/listings/a%20b")?.params.id).toBe("a b");
    expect(at("#/listings/%E0%A4%A")).toBeNull();
    expect(at("#/nowhere")).toBeNull();
    expect(at("#/listings")).toBeNull();
  });
});

describe("Router", () => {
  const routers: Router<R>[] = [];
  afterEach(() => {
    for (const router of routers.splice(0)) router.stop();
    window.history.replaceState(null, "", "#");
  });

  function start(initial?: string) {
    const seen: (Match<R> | null)[] = [];
    const locations: Location[] = [];
    const router = new Router<R>(ROUTES, (match, location) => {
      seen.push(match);
      locations.push(location);
    });
    routers.push(router);
    router.start(initial);
    return { router, seen, locations };
  }

  it("replaces the launch fragment with the first route", () => {
    window.history.replaceState(null, "", "#tgWebAppData=secret&tgWebAppVersion=8.0");
    const { seen } = start("/search");
    expect(window.location.hash).toBe("#/search");
    expect(window.location.href).not.toContain("secret");
    expect(seen.at(-1)?.route.name).toBe("search");
  });

  it("pushes entries and goes back through them", async () => {
    const { router, seen } = start("/search");
    expect(router.canGoBack).toBe(false);
    router.navigate("/listings/5");
    expect(seen.at(-1)?.params.id).toBe("5");
    expect(router.canGoBack).toBe(true);
    const changed = new Promise((resolve) => window.addEventListener("hashchange", resolve, { once: true }));
    router.back("/search");
    await changed;
    expect(window.location.hash).toBe("#/search");
    expect(seen.at(-1)?.route.name).toBe("search");
  });

  it("goes to the parent in place when there is no history (deep link)", () => {
    const back = vi.spyOn(window.history, "back");
    const { router, seen } = start("/listings/5/edit");
    router.back("/listings/5");
    expect(back).not.toHaveBeenCalled();
    expect(window.location.hash).toBe("#/listings/5");
    expect(seen.at(-1)?.route.name).toBe("detail");
    expect(router.canGoBack).toBe(false);
  });

  it("renders again on a hash change it did not make", async () => {
    const { seen } = start("/search");
    const changed = new Promise((resolve) => window.addEventListener("hashchange", resolve, { once: true }));
    window.location.hash = "#/listings/9";
    await changed;
    expect(seen.at(-1)?.params.id).toBe("9");
  });

  it("counts a link followed in the app as a step back can undo", async () => {
    const { router, seen } = start("/search?q=lamp");
    const followed = new Promise((resolve) => window.addEventListener("hashchange", resolve, { once: true }));
    window.location.hash = "#/listings/9"; // what clicking <a href="#/listings/9"> does
    await followed;
    expect(seen.at(-1)?.params.id).toBe("9");
    expect(router.canGoBack).toBe(true);
    const back = new Promise((resolve) => window.addEventListener("hashchange", resolve, { once: true }));
    router.back("/");
    await back;
    expect(window.location.hash).toBe("#/search?q=lamp");
    expect(seen.at(-1)?.route.name).toBe("search");
    expect(router.canGoBack).toBe(false);
  });

  it("replace keeps the history length", () => {
    const { router } = start("/search");
    const before = window.history.length;
    router.navigate("/search?q=x", { replace: true });
    expect(window.history.length).toBe(before);
    expect(router.current.query.get("q")).toBe("x");
  });
});

describe("initialPath (deep links)", () => {
  it("maps start parameters and launch paths to routes", () => {
    expect(initialPath({ startParam: "listing_12", launchPath: null })).toBe("/listings/12");
    expect(initialPath({ startParam: "edit-12", launchPath: null })).toBe("/listings/12/edit");
    expect(initialPath({ startParam: "moderation", launchPath: null })).toBe("/moderation");
    expect(initialPath({ startParam: null, launchPath: "/mine" })).toBe("/mine");
    expect(initialPath({ startParam: null, launchPath: null }, "?startapp=listing_3")).toBe("/listings/3");
    expect(initialPath({ startParam: "bogus", launchPath: "javascript:alert(1)" })).toBe("/search");
  });
});

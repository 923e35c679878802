// The pages, driven through the real App, router and Telegram adapter (plain-browser
// mode: the MainButton and BackButton are drawn in the page) against a small in-memory
// stand-in for /api/v1 at the fetch boundary.

import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiClient } from "../src/api";
import { App } from "../src/app";
import { daysOf, monthOf, moscowToday, rangeChange, shiftMonth } from "../src/pages/calendars";
import { ROUTES } from "../src/routes";
import { connectTelegram, type TelegramHost } from "../src/telegram";
import type { ListingRead, PhotoRead, UserRead } from "../src/types";
import { auth, flush, initData, json, launchHash, listing, photo, stubFetch, type Call } from "./helpers";

const SCRIPT = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">`;

class FakeMarket {
  listings = new Map<number, ListingRead>();
  nextId = 100;
  nextPhoto = 500;
  overrides: ((call: Call, path: string) => Response | null)[] = [];
  /** What GET /listings/suggested-currency answers (Berlin: EUR). */
  currency = "RUB";
  reported = new Set<number>();
  /** Reported listings per page of the admins' list. */
  reportsPageSize = 20;
  /** Open reports by listing (what the admins' reported list shows). */
  reportsOf = new Map<number, object[]>();

  constructor(readonly me: Partial<UserRead> = {}) {}

  add(overrides: Partial<ListingRead>): ListingRead {
    const item = listing({ id: this.nextId++, ...overrides });
    this.listings.set(item.id, item);
    return item;
  }

  handle = (call: Call): Response => {
    const url = new URL(call.url, "http://app.local");
    const path = url.pathname.replace(/^\/api\/v1/, "");
    for (const override of this.overrides) {
      const response = override(call, path);
      if (response) return response;
    }
    const route = `${call.method} ${path}`;
    let m: RegExpExecArray | null;
    if (route === "POST /auth/telegram") return json(200, auth({}, this.me));
    if (route === "GET /listings/categories") {
      return json(200, ["hobby", "electronics"]);
    }
    if (route === "GET /listings") {
      const items = [...this.listings.values()].filter((l) => l.status === "approved");
      return json(200, { items, next_cursor: null });
    }
    if (route === "GET /listings/mine") {
      const status = url.searchParams.get("status");
      const items = [...this.listings.values()].filter((l) => l.is_mine && (!status || l.status === status));
      return json(200, { items, next_cursor: null });
    }
    if (route === "POST /listings") {
      const created = this.add({
        ...(call.body as object),
        status: "draft",
        is_mine: true,
        photos: [],
        published_at: null,
      });
      return json(201, created);
    }
    if (route === "GET /admin/moderation/queue") {
      return json(200, {
        items: [...this.listings.values()].filter((l) => l.status === "pending"),
        next_cursor: null,
      });
    }
    if ((m = /^POST \/admin\/listings\/(\d+)\/(approve|reject)$/.exec(route))) {
      const item = this.listings.get(Number(m[1]))!;
      if ((call.body as { revision: number }).revision !== item.revision) {
        return json(409, { detail: "The owner changed the listing since you opened it", status_code: 409 });
      }
      item.status = m[2] === "approve" ? "approved" : "rejected";
      item.rejection_reason = m[2] === "reject" ? (call.body as { reason: string }).reason : null;
      return json(200, item);
    }
    if ((m = /^(GET|PATCH) \/listings\/(\d+)$/.exec(route))) {
      const item = this.listings.get(Number(m[2]));
      if (!item) return json(404, { detail: "Listing not found", status_code: 404 });
      if (m[1] === "PATCH")
        Object.assign(item, call.body, item.status === "rejected" ? { status: "pending" } : {});
      return json(200, item);
    }
    if ((m = /^POST \/listings\/(\d+)\/(submit|archive)$/.exec(route))) {
      const item = this.listings.get(Number(m[1]))!;
      item.status = m[2] === "submit" ? "pending" : "archived";
      return json(200, item);
    }
    if ((m = /^POST \/listings\/(\d+)\/photos$/.exec(route))) {
      return json(201, {
        photo_id: this.nextPhoto++,
        url: "/api/v1/uploads/x",
        fields: { token: "t" },
        max_bytes: 5242880,
        expires_at: "2030-01-01T00:00:00Z",
      });
    }
    if ((m = /^POST \/listings\/(\d+)\/photos\/(\d+)\/complete$/.exec(route))) {
      const created: PhotoRead = photo({
        id: Number(m[2]),
        position: this.listings.get(Number(m[1]))!.photos.length,
      });
      this.listings.get(Number(m[1]))!.photos.push(created);
      return json(200, created);
    }
    if ((m = /^DELETE \/listings\/(\d+)\/photos\/(\d+)$/.exec(route))) return json(204, null);
    if (route === "GET /admin/moderation/reports") {
      const items = [...this.listings.values()]
        .filter((l) => l.status === "approved" && this.reportsOf.has(l.id))
        .map((l) => ({ listing: l, reports: this.reportsOf.get(l.id) }));
      const start = Number(url.searchParams.get("cursor") ?? 0);
      const end = start + this.reportsPageSize;
      return json(200, {
        items: items.slice(start, end),
        next_cursor: end < items.length ? String(end) : null,
      });
    }
    if ((m = /^POST \/admin\/listings\/(\d+)\/reports\/dismiss$/.exec(route))) {
      this.reportsOf.delete(Number(m[1]));
      return json(200, { dismissed: 1 });
    }
    if (route === "GET /listings/suggested-currency") {
      const city = url.searchParams.get("city");
      return json(200, { currency: city === "Berlin" ? "EUR" : this.currency });
    }
    if ((m = /^POST \/listings\/(\d+)\/(availability|renew)$/.exec(route))) {
      const item = this.listings.get(Number(m[1]))!;
      if (m[2] === "renew") Object.assign(item, { status: "approved", expires_at: "2030-03-01T00:00:00Z" });
      else item.availability = (call.body as { availability: ListingRead["availability"] }).availability;
      return json(200, item);
    }
    if ((m = /^POST \/listings\/(\d+)\/inquiries$/.exec(route))) {
      const item = this.listings.get(Number(m[1]))!;
      return json(200, {
        id: 1,
        listing_id: item.id,
        listing_title: item.title,
        role: "buyer",
        status: "open",
        buyer_number: 1,
        seller_link: null,
      });
    }
    if ((m = /^POST \/listings\/(\d+)\/reports$/.exec(route))) {
      if (this.reported.has(Number(m[1]))) {
        return json(409, {
          detail: "You reported this listing already",
          status_code: 409,
          code: "already_reported",
        });
      }
      this.reported.add(Number(m[1]));
      return json(201, {
        id: 1,
        listing_id: Number(m[1]),
        ...(call.body as object),
        created_at: "2030-01-01T00:00:00Z",
      });
    }
    return json(404, { detail: "Not Found", status_code: 404 });
  };
}

interface Booted {
  app: App;
  root: HTMLElement;
  host: TelegramHost;
  calls: Call[];
  market: FakeMarket;
}

const booted: Booted[] = [];

async function boot(
  market: FakeMarket,
  path: string,
  options: { hash?: string; relaunch?: () => void } = {},
): Promise<Booted> {
  const root = document.createElement("div");
  document.body.appendChild(root);
  window.history.replaceState(null, "", options.hash ?? launchHash());
  const host = connectTelegram();
  const stub = stubFetch(market.handle);
  const api = new ApiClient({
    initData: () => host.webApp.initData,
    fetch: stub.fetch,
    sleep: async () => undefined,
  });
  const app = new App({ root, host, api, routes: ROUTES, relaunch: options.relaunch });
  const result = { app, root, host, calls: stub.calls, market };
  booted.push(result);
  await app.start(path);
  await flush();
  return result;
}

afterEach(() => {
  for (const { app, host, root } of booted.splice(0)) {
    app.stop();
    host.dispose();
    root.remove();
  }
  document.body.replaceChildren();
  window.history.replaceState(null, "", "#");
});

const mainButton = () => document.querySelector<HTMLButtonElement>(".tgx-main-button");
const backButton = () => document.querySelector<HTMLButtonElement>(".tgx-back-button");
const text = (root: ParentNode, selector: string) => root.querySelector(selector)?.textContent ?? null;

function fill(root: ParentNode, values: Record<string, string>) {
  for (const [name, value] of Object.entries(values)) {
    const control = root.querySelector<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(
      `[name="${name}"]`,
    )!;
    control.value = value;
  }
}

describe("start", () => {
  it("asks for Telegram's launch data when there is none", async () => {
    const { root, calls } = await boot(new FakeMarket(), "/search", { hash: "" });
    expect(text(root, "h1")).toBe("Open this from Telegram");
    expect(calls).toHaveLength(0);
  });

  it("speaks Russian to users whose Telegram is in Russian, and switches", async () => {
    const hash = launchHash(initData({ id: 5, first_name: "Иван", language_code: "ru" }));
    const { root } = await boot(new FakeMarket(), "/search", { hash });
    expect(text(root, '[data-tab="search"]')).toBe("Поиск");
    root.querySelector<HTMLButtonElement>(".lang-switch")!.click();
    await flush();
    expect(text(root, '[data-tab="search"]')).toBe("Search");
  });

  it("tells the user when sign-in is refused", async () => {
    const market = new FakeMarket();
    market.overrides.push((_call, path) =>
      path === "/auth/telegram" ? json(401, { detail: "initData expired", status_code: 401 }) : null,
    );
    const { root } = await boot(market, "/search");
    expect(text(root, "h1")).toBe("Could not sign you in");
    expect(root.textContent).toContain("open it again from the bot");
    expect(window.location.href).not.toContain("tgWebAppData");
  });

  it("shows the moderation tab to admins only", async () => {
    const user = await boot(new FakeMarket(), "/search");
    expect(user.root.querySelector('[data-tab="moderation"]')).toBeNull();
    const admin = await boot(new FakeMarket({ role: "admin" }), "/search");
    expect(admin.root.querySelector('[data-tab="moderation"]')).not.toBeNull();
  });
});

describe("search", () => {
  it("lists approved listings with their titles as text", async () => {
    const market = new FakeMarket();
    market.add({ title: SCRIPT, status: "approved" });
    market.add({ title: "Hidden draft", status: "draft" });
    const { root } = await boot(market, "/search");
    expect(window.location.hash).toBe("#/search");
    const titles = [...root.querySelectorAll(".card-title")].map((n) => n.textContent);
    expect(titles).toEqual([SCRIPT]);
    expect(root.querySelector("script")).toBeNull();
    expect(root.querySelector("img[onerror]")).toBeNull();
    expect((window as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it("sends the filters and keeps them in the address", async () => {
    const { root, calls } = await boot(new FakeMarket(), "/search");
    fill(root, {
      q: "bike",
      category: "hobby",
      city: "Kazan",
      price_min: "10",
      price_max: "1 000,5",
      currency: "RUB",
    });
    root.querySelector<HTMLFormElement>("form.filters")!.requestSubmit();
    await flush();
    expect(window.location.hash).toBe(
      "#/search?q=bike&category=hobby&city=Kazan&price_min=10&price_max=1000.5&currency=RUB",
    );
    const search = calls.filter((c) => c.url.startsWith("/api/v1/listings?")).at(-1)!;
    const params = Object.fromEntries(new URL(search.url, "http://x").searchParams);
    expect(params).toMatchObject({
      q: "bike",
      category: "hobby",
      city: "Kazan",
      price_min: "10",
      price_max: "1000.5",
      currency: "RUB",
    });
    expect((root.querySelector('[name="q"]') as HTMLInputElement).value).toBe("bike");
  });

  it("refuses a reversed price range without asking the server", async () => {
    const { root, calls } = await boot(new FakeMarket(), "/search");
    const before = calls.length;
    fill(root, { price_min: "100", price_max: "5" });
    root.querySelector<HTMLFormElement>("form.filters")!.requestSubmit();
    await flush();
    expect(calls).toHaveLength(before);
    expect(root.querySelector(".field-error:not([hidden])")?.textContent).toMatch(/lower price/);
  });

  it("says slow down on a 429 it should not wait for", async () => {
    const market = new FakeMarket();
    market.overrides.push((_call, path) =>
      path === "/listings"
        ? json(429, { detail: "Too Many Requests", status_code: 429 }, { "Retry-After": "120" })
        : null,
    );
    const { root } = await boot(market, "/search");
    expect(text(root, ".error-box p")).toBe("Too many requests. Please wait 120 s and try again.");
  });
});

describe("listing detail", () => {
  it("shows the owner's rejected listing with the reason, as text, and offers Edit", async () => {
    const market = new FakeMarket();
    const item = market.add({
      title: SCRIPT,
      description: SCRIPT,
      status: "rejected",
      rejection_reason: SCRIPT,
      is_mine: true,
    });
    const { root } = await boot(market, `/listings/${item.id}`);
    expect(text(root, ".listing-title")).toBe(SCRIPT);
    expect(text(root, ".listing-description")).toBe(SCRIPT);
    expect(text(root, ".rejection")).toBe(`Moderator's reason: ${SCRIPT}`);
    expect(root.querySelector("script")).toBeNull();
    expect(mainButton()?.hidden).toBe(false);
    expect(mainButton()?.textContent).toBe("Edit");
    expect(backButton()?.hidden).toBe(false);
    mainButton()!.click();
    await flush();
    expect(window.location.hash).toBe(`#/listings/${item.id}/edit`);
  });

  it("shows someone else's listing without owner controls", async () => {
    const market = new FakeMarket();
    const item = market.add({
      status: "approved",
      is_mine: false,
      photos: [photo(), photo({ id: 2, position: 1 })],
    });
    const { root } = await boot(market, `/listings/${item.id}`);
    expect(root.querySelector(".badge")).toBeNull();
    expect(root.querySelector(".actions .destructive, .availability-action, .renew")).toBeNull();
    expect(root.querySelector(".listing-stats")).toBeNull();
    // A buyer writes to the seller (the MainButton) or reports the listing.
    expect(mainButton()?.textContent).toBe("Write to the seller");
    expect(root.querySelector(".report-open")?.textContent).toBe("Report");
    expect(root.querySelectorAll(".gallery-thumb")).toHaveLength(2);
  });

  it("says not found for a listing it may not see, and the BackButton leads to search", async () => {
    const { root } = await boot(new FakeMarket(), "/listings/999");
    expect(text(root, ".error-box p")).toBe("Not found.");
    backButton()!.click();
    await flush();
    expect(window.location.hash).toBe("#/search");
    expect(backButton()!.hidden).toBe(true);
  });

  it("archives after the user confirms", async () => {
    const market = new FakeMarket();
    const item = market.add({ status: "approved", is_mine: true });
    const { root, calls } = await boot(market, `/listings/${item.id}`);
    expect(mainButton()?.textContent).toBe("Edit");
    root.querySelector<HTMLButtonElement>(".button.destructive")!.click();
    await flush();
    document.querySelector<HTMLButtonElement>('.tgx-popup [data-button-id="ok"]')!.click();
    await flush();
    expect(calls.some((c) => c.method === "POST" && c.url.endsWith(`/listings/${item.id}/archive`))).toBe(
      true,
    );
    expect(text(root, ".badge")).toBe("Archived");
    expect(mainButton()!.hidden).toBe(true); // an archived listing is not edited
  });
});

describe("my listings", () => {
  it("shows each listing's status and the moderator's reason", async () => {
    const market = new FakeMarket();
    market.add({ title: "Mine pending", status: "pending", is_mine: true });
    market.add({
      title: "Mine rejected",
      status: "rejected",
      rejection_reason: "No photos of the item",
      is_mine: true,
    });
    market.add({ title: "Not mine", status: "approved", is_mine: false });
    const { root } = await boot(market, "/mine");
    const cards = [...root.querySelectorAll(".listing-card")];
    expect(cards.map((c) => text(c, ".card-title"))).toEqual(["Mine pending", "Mine rejected"]);
    expect(cards.map((c) => text(c, ".badge"))).toEqual(["On moderation", "Rejected"]);
    expect(text(cards[1]!, ".rejection")).toBe("Moderator's reason: No photos of the item");
    expect(mainButton()?.textContent).toBe("Create a listing");
  });

  it("filters by status", async () => {
    const market = new FakeMarket();
    market.add({ title: "A", status: "pending", is_mine: true });
    market.add({ title: "B", status: "rejected", is_mine: true });
    const { root, calls } = await boot(market, "/mine?status=rejected");
    expect([...root.querySelectorAll(".card-title")].map((n) => n.textContent)).toEqual(["B"]);
    expect(calls.some((c) => c.url === "/api/v1/listings/mine?status=rejected")).toBe(true);
    expect(text(root, ".chip.active")).toBe("Rejected");
  });
});

describe("create and edit", () => {
  it("checks the form before sending and then creates a draft", async () => {
    const { root, calls } = await boot(new FakeMarket(), "/new");
    expect(mainButton()?.textContent).toBe("Save and add photos");
    fill(root, { title: "ab", price: "12.345", city: "K" });
    mainButton()!.click();
    await flush();
    expect(calls.some((c) => c.method === "POST" && c.url === "/api/v1/listings")).toBe(false);
    const errors = [...root.querySelectorAll(".field-error:not([hidden])")].map((n) => n.textContent);
    expect(errors).toEqual([
      "At least 3 characters.",
      "Required.",
      "At most 2 digits after the point.",
      "At least 2 characters.",
    ]);

    fill(root, {
      title: "  Red bicycle ",
      description: "Fast",
      category: "hobby",
      price: "1 500,5",
      currency: "EUR",
      city: "Kazan",
    });
    mainButton()!.click();
    await flush();
    const post = calls.find((c) => c.method === "POST" && c.url === "/api/v1/listings")!;
    expect(post.body).toEqual({
      title: "Red bicycle",
      description: "Fast",
      category: "hobby",
      price: "1500.5",
      currency: "EUR",
      city: "Kazan",
      allow_direct_contact: false,
    });
    expect(window.location.hash).toMatch(/^#\/listings\/\d+\/edit$/);
    expect(text(root, "h1")).toBe("Edit listing");
  });

  it("shows the server's 422 messages next to the fields", async () => {
    const market = new FakeMarket();
    market.overrides.push((call, path) =>
      call.method === "POST" && path === "/listings"
        ? json(422, {
            detail: [{ loc: ["body", "city"], msg: "Unknown city", type: "value_error" }],
            status_code: 422,
          })
        : null,
    );
    const { root } = await boot(market, "/new");
    fill(root, { title: "Red bicycle", category: "hobby", price: "10", city: "Atlantis" });
    mainButton()!.click();
    await flush();
    // The api's English message is not shown: the field is marked in the user's language.
    expect(root.querySelector(".field.invalid .field-error")?.textContent).toBe("Check this value.");
  });

  it("uploads photos with progress after checking them, and deletes them", async () => {
    const market = new FakeMarket();
    const item = market.add({ status: "draft", is_mine: true });
    const { app, root, calls } = await boot(market, `/listings/${item.id}/edit`);
    const progress: number[] = [];
    app.uploader = vi.fn(async (_ticket, _file, options) => {
      options?.onProgress?.(0.5);
      progress.push((root.querySelector(".upload-row progress") as HTMLProgressElement).value);
      options?.onProgress?.(1);
    });
    const input = root.querySelector<HTMLInputElement>('input[type="file"]')!;
    const files = [
      new File(["%PDF"], "scan.pdf", { type: "application/pdf" }),
      new File(["\x89PNG"], "bike.png", { type: "image/png" }),
    ];
    Object.defineProperty(input, "files", { value: files, configurable: true });
    input.dispatchEvent(new Event("change"));
    await flush(10);
    expect(text(root, ".upload-row.failed")).toContain(
      "scan.pdf: The file is not an image: upload a photo (JPEG, PNG, WebP or GIF).",
    );
    expect(calls.filter((c) => c.url.endsWith("/photos"))).toHaveLength(1);
    expect(app.uploader).toHaveBeenCalledTimes(1);
    expect(progress).toEqual([0.5]);
    expect(calls.some((c) => c.url.endsWith("/complete"))).toBe(true);
    expect(root.querySelectorAll(".photo-item")).toHaveLength(1);
    expect(text(root, ".photos h2")).toBe("Photos (1/10)");

    root.querySelector<HTMLButtonElement>(".photo-delete")!.click();
    await flush();
    document.querySelector<HTMLButtonElement>('.tgx-popup [data-button-id="ok"]')!.click();
    await flush();
    expect(calls.some((c) => c.method === "DELETE")).toBe(true);
    expect(root.querySelectorAll(".photo-item")).toHaveLength(0);
  });

  it("refuses an 11th photo in the browser", async () => {
    const market = new FakeMarket();
    const photos = Array.from({ length: 10 }, (_, i) => photo({ id: i + 1, position: i }));
    const item = market.add({ status: "draft", is_mine: true, photos });
    const { app, root, calls } = await boot(market, `/listings/${item.id}/edit`);
    app.uploader = vi.fn(async () => undefined);
    const input = root.querySelector<HTMLInputElement>('input[type="file"]')!;
    expect(input.disabled).toBe(true);
    Object.defineProperty(input, "files", {
      value: [new File(["x"], "more.jpg", { type: "image/jpeg" })],
      configurable: true,
    });
    input.dispatchEvent(new Event("change"));
    await flush();
    expect(text(root, ".upload-row.failed")).toContain("At most 10 photos.");
    expect(calls.filter((c) => c.url.endsWith("/photos"))).toHaveLength(0);
  });

  it("tells the upload's error and frees the reserved slot", async () => {
    const market = new FakeMarket();
    const item = market.add({ status: "draft", is_mine: true });
    market.overrides.push((_call, path) =>
      path.endsWith("/complete")
        ? json(422, {
            detail: "The image has too many pixels (9000×9000): at most 40,000,000 are allowed",
            status_code: 422,
            code: "photo_too_many_pixels",
            params: { max: 40000000 },
          })
        : null,
    );
    const { app, root, calls } = await boot(market, `/listings/${item.id}/edit`);
    app.uploader = vi.fn(async () => undefined);
    const input = root.querySelector<HTMLInputElement>('input[type="file"]')!;
    Object.defineProperty(input, "files", {
      value: [new File(["x"], "huge.png", { type: "image/png" })],
      configurable: true,
    });
    input.dispatchEvent(new Event("change"));
    await flush(10);
    expect(text(root, ".upload-row.failed")).toContain(
      "huge.png: The image has too many pixels: at most 40,000,000.",
    );
    expect(calls.some((c) => c.method === "DELETE" && c.url.endsWith("/photos/500"))).toBe(true);
  });

  it("saves the changed fields of a draft and submits it", async () => {
    const market = new FakeMarket();
    const item = market.add({ status: "draft", is_mine: true, title: "Bike", price: "100.00" });
    const { root, calls } = await boot(market, `/listings/${item.id}/edit`);
    expect(mainButton()?.textContent).toBe("Submit for moderation");
    fill(root, { title: "Better bike" });
    mainButton()!.click();
    await flush(10);
    const patch = calls.find((c) => c.method === "PATCH")!;
    expect(patch.body).toEqual({ title: "Better bike" });
    expect(calls.some((c) => c.url.endsWith(`/listings/${item.id}/submit`))).toBe(true);
    expect(window.location.hash).toBe(`#/listings/${item.id}`);
    expect(text(root, ".badge")).toBe("On moderation");
  });

  it("does not let anyone edit a listing that is not theirs", async () => {
    const market = new FakeMarket();
    const item = market.add({ status: "approved", is_mine: false });
    const { root } = await boot(market, `/listings/${item.id}/edit`);
    expect(root.querySelector("form.listing-form")).toBeNull();
    expect(text(root, ".error-box p")).toBe("Not found.");
  });
});

describe("moderation", () => {
  it("is for admins only", async () => {
    const { root, calls } = await boot(new FakeMarket(), "/moderation");
    expect(root.textContent).toContain("The moderation queue is for admins.");
    expect(calls.some((c) => c.url.includes("/admin/"))).toBe(false);
  });

  it("approves, and rejects only with a reason", async () => {
    const market = new FakeMarket({ role: "admin" });
    const first = market.add({ title: SCRIPT, status: "pending" });
    const second = market.add({ title: "Second", status: "pending" });
    const { root, calls } = await boot(market, "/moderation");
    const cards = () => [...root.querySelectorAll<HTMLElement>(".moderation-card")];
    expect(cards().map((c) => text(c, ".card-title"))).toEqual([SCRIPT, "Second"]);
    expect(root.querySelector("script")).toBeNull();

    const card = cards()[1]!;
    const [, reject] = card.querySelectorAll<HTMLButtonElement>(".actions .button");
    reject!.click();
    card.querySelector<HTMLButtonElement>(".reject-form .button")!.click();
    await flush();
    expect(text(card, ".field-error")).toBe("Required.");
    expect(calls.some((c) => c.url.endsWith("/reject"))).toBe(false);
    (card.querySelector('[name="reason"]') as HTMLTextAreaElement).value = "  Blurry photos ";
    card.querySelector<HTMLButtonElement>(".reject-form .button")!.click();
    await flush();
    expect(calls.find((c) => c.url.endsWith(`/admin/listings/${second.id}/reject`))?.body).toEqual({
      revision: second.revision,
      reason: "Blurry photos",
    });

    cards()[0]!.querySelector<HTMLButtonElement>(".actions .button")!.click();
    await flush();
    expect(calls.some((c) => c.url.endsWith(`/admin/listings/${first.id}/approve`))).toBe(true);
    expect(cards()).toHaveLength(0);
    expect(root.textContent).toContain("The queue is empty.");
  });

  it("shows the new version when the author changed the listing meanwhile", async () => {
    const market = new FakeMarket({ role: "admin" });
    const item = market.add({ title: "Honest bike", status: "pending", revision: 1 });
    const { root, calls } = await boot(market, "/moderation");
    Object.assign(item, { title: "Bike (now a scam link)", revision: 2 });

    root.querySelector<HTMLButtonElement>(".moderation-card .actions .button")!.click();
    await flush();
    const approvals = calls.filter((c) => c.url.endsWith(`/admin/listings/${item.id}/approve`));
    expect(approvals.map((c) => c.body)).toEqual([{ revision: 1 }]);
    expect(item.status).toBe("pending");
    const card = root.querySelector<HTMLElement>(".moderation-card")!;
    expect(text(card, ".card-title")).toBe("Bike (now a scam link)");
    expect(root.textContent).toContain("The author changed this listing while you were looking");

    card.querySelector<HTMLButtonElement>(".actions .button")!.click();
    await flush();
    expect(calls.filter((c) => c.url.endsWith("/approve")).map((c) => c.body)).toEqual([
      { revision: 1 },
      { revision: 2 },
    ]);
    expect(item.status).toBe("approved");
  });
});

describe("buyers and sellers", () => {
  it("lets a buyer write to the seller: the api starts the conversation, the app closes to the chat", async () => {
    const market = new FakeMarket();
    const item = market.add({ status: "approved", seller_link: "https://t.me/olga_sells" });
    const { host, root, calls } = await boot(market, `/listings/${item.id}`);
    const close = vi.spyOn(host.webApp, "close");
    expect(root.querySelector<HTMLAnchorElement>("a.seller-link")?.href).toBe("https://t.me/olga_sells");
    expect(mainButton()?.textContent).toBe("Write to the seller");
    mainButton()!.click();
    await flush(10);
    expect(calls.some((c) => c.method === "POST" && c.url === `/api/v1/listings/${item.id}/inquiries`)).toBe(
      true,
    );
    expect(close).toHaveBeenCalled();
    expect(text(root, ".toast")).toBe("Write your message in the chat with the bot: it goes to the seller.");
  });

  it("shows a sold listing as sold, with no way to write, and no link that is not t.me's", async () => {
    const market = new FakeMarket();
    const item = market.add({ status: "approved", availability: "sold", seller_link: "javascript:alert(1)" });
    const { root } = await boot(market, `/listings/${item.id}`);
    expect(text(root, ".availability-sold")).toBe("Sold");
    expect(mainButton()?.hidden ?? true).toBe(true);
    expect(root.querySelector("a.seller-link")).toBeNull();
  });

  it("shows reserved and sold on the cards in search", async () => {
    const market = new FakeMarket();
    market.add({ title: "Sofa", status: "approved", availability: "reserved" });
    const { root } = await boot(market, "/search");
    expect(text(root, ".listing-card .availability-reserved")).toBe("Reserved");
  });

  it("sends a report with its reason once, and says so in Russian the second time", async () => {
    const market = new FakeMarket();
    const item = market.add({ status: "approved" });
    const hash = launchHash(initData({ id: 5, first_name: "Иван", language_code: "ru" }));
    const { root, calls } = await boot(market, `/listings/${item.id}`, { hash });
    root.querySelector<HTMLButtonElement>(".report-open")!.click();
    fill(root, { reason: "fraud", comment: "Просит предоплату" });
    root.querySelector<HTMLFormElement>("form.report-form")!.requestSubmit();
    await flush(10);
    const report = calls.find((c) => c.url === `/api/v1/listings/${item.id}/reports`)!;
    expect(report.body).toEqual({ reason: "fraud", comment: "Просит предоплату" });
    expect(text(root, ".toast")).toBe("Спасибо: модераторы посмотрят.");
    expect(root.querySelector("form.report-form")).toBeNull();

    await boot(market, `/listings/${item.id}`, { hash });
    const again = booted[booted.length - 1]!.root;
    again.querySelector<HTMLButtonElement>(".report-open")!.click();
    again.querySelector<HTMLFormElement>("form.report-form")!.requestSubmit();
    await flush(10);
    expect(text(again, ".toast")).toBe("Вы уже пожаловались на это объявление.");
  });

  it("shows the seller how many looked and wrote, and marks it reserved, sold, available; renews", async () => {
    const market = new FakeMarket();
    const item = market.add({ status: "approved", is_mine: true, stats: { views: 12, contacts: 3 } });
    const { root, calls } = await boot(market, `/listings/${item.id}`);
    expect(text(root, ".listing-stats")).toBe("Viewed by 12 · contacted by 3");
    root.querySelector<HTMLButtonElement>('[data-availability="reserved"]')!.click();
    await flush(10);
    expect(calls.find((c) => c.url.endsWith("/availability"))?.body).toEqual({ availability: "reserved" });
    expect(text(root, ".availability-reserved")).toBe("Reserved");
    root.querySelector<HTMLButtonElement>('[data-availability="sold"]')!.click();
    await flush(10);
    expect(text(root, ".availability-sold")).toBe("Sold");
    expect(root.querySelector('[data-availability="available"]')).not.toBeNull();
    root.querySelector<HTMLButtonElement>(".renew")!.click();
    await flush(10);
    expect(calls.some((c) => c.url === `/api/v1/listings/${item.id}/renew`)).toBe(true);
    expect(text(root, ".toast")).toMatch(/^Renewed until .*2030/);
  });

  it("offers an expired listing of the seller's a renewal", async () => {
    const market = new FakeMarket();
    const item = market.add({ status: "expired", is_mine: true });
    const { root } = await boot(market, `/listings/${item.id}`);
    expect(text(root, ".notice")).toMatch(/^Expired .*renew it/);
    expect(root.querySelector(".renew")).not.toBeNull();
    expect(root.querySelector("[data-availability]")).toBeNull();
  });
});

describe("prices and currency in the form", () => {
  it("shows back what the seller typed, grouped as their language writes it", async () => {
    const market = new FakeMarket();
    const item = market.add({ status: "draft", is_mine: true, price: "12500.00" });
    const en = await boot(market, `/listings/${item.id}/edit`);
    expect(en.root.querySelector<HTMLInputElement>('[name="price"]')!.value).toBe("12,500");
    const hash = launchHash(initData({ id: 5, first_name: "Иван", language_code: "ru" }));
    const ru = await boot(market, `/listings/${item.id}/edit`, { hash });
    expect(ru.root.querySelector<HTMLInputElement>('[name="price"]')!.value).toBe("12 500");
  });

  it("takes 12,345 in the English form as twelve thousand", async () => {
    const market = new FakeMarket();
    const item = market.add({ status: "draft", is_mine: true, price: "100.00" });
    const { root, calls } = await boot(market, `/listings/${item.id}/edit`);
    fill(root, { price: "12,345" });
    root.querySelector<HTMLButtonElement>(".actions .button.secondary")!.click(); // Save draft
    await flush(10);
    expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({ price: "12345" });
  });

  it("starts a new listing in the api's suggested currency, and follows the city until the seller picks one", async () => {
    const market = new FakeMarket();
    market.currency = "USD";
    const { root } = await boot(market, "/new");
    const currency = root.querySelector<HTMLSelectElement>('[name="currency"]')!;
    expect(currency.value).toBe("USD");
    const city = root.querySelector<HTMLInputElement>('[name="city"]')!;
    city.value = "Berlin";
    city.dispatchEvent(new Event("change"));
    await flush(10);
    expect(currency.value).toBe("EUR");
    currency.value = "RUB";
    currency.dispatchEvent(new Event("change"));
    city.value = "Berlin";
    city.dispatchEvent(new Event("change"));
    await flush(10);
    expect(currency.value).toBe("RUB");
  });
});

describe("reported listings", () => {
  it("shows admins the reported listings with the reasons; keeps one, takes another down", async () => {
    const market = new FakeMarket({ role: "admin" });
    const keep = market.add({ title: "Fine sofa", status: "approved" });
    const bad = market.add({ title: "Fake phone", status: "approved" });
    const report = (id: number, reason: string, comment: string) => ({
      id,
      listing_id: id,
      reason,
      comment,
      created_at: "2030-01-01T00:00:00Z",
    });
    market.reportsOf.set(keep.id, [report(keep.id, "duplicate", "")]);
    market.reportsOf.set(bad.id, [report(bad.id, "fraud", "Asks for a prepayment")]);
    const { root, calls } = await boot(market, "/moderation");
    await flush(10);
    expect(text(root, ".reported h2")).toBe("Reported by buyers (2)");
    const card = (id: number) => root.querySelector<HTMLElement>(`.reported-card[data-listing-id="${id}"]`)!;
    expect(card(bad.id).querySelector(".reports")?.textContent).toBe("Fraud or scam: Asks for a prepayment");

    card(keep.id).querySelector<HTMLButtonElement>(".button.secondary")!.click();
    await flush(10);
    expect(calls.some((c) => c.url === `/api/v1/admin/listings/${keep.id}/reports/dismiss`)).toBe(true);
    expect(text(root, ".reported h2")).toBe("Reported by buyers (1)");

    const badCard = card(bad.id);
    badCard.querySelector<HTMLButtonElement>(".actions .destructive")!.click();
    badCard.querySelector<HTMLTextAreaElement>("textarea")!.value = "A scam";
    badCard.querySelector<HTMLButtonElement>(".reject-form .destructive")!.click();
    await flush(10);
    const reject = calls.find((c) => c.url === `/api/v1/admin/listings/${bad.id}/reject`)!;
    expect(reject.body).toEqual({ revision: bad.revision, reason: "A scam" });
    expect(root.querySelector<HTMLElement>(".reported")!.hidden).toBe(true);
  });
});

describe("reported listings, page by page", () => {
  it("loads more reported listings than fit one page", async () => {
    const market = new FakeMarket({ role: "admin" });
    market.reportsPageSize = 2;
    for (const title of ["One", "Two", "Three", "Four", "Five"]) {
      const item = market.add({ title, status: "approved" });
      market.reportsOf.set(item.id, [
        {
          id: item.id,
          listing_id: item.id,
          reason: "other",
          comment: "",
          created_at: "2030-01-01T00:00:00Z",
        },
      ]);
    }
    const { root } = await boot(market, "/moderation");
    await flush(10);
    const more = () => root.querySelector<HTMLButtonElement>(".reported button.load-more");
    expect(root.querySelectorAll(".reported-card")).toHaveLength(2);
    more()!.click();
    await flush(10);
    more()!.click();
    await flush(10);
    expect(root.querySelectorAll(".reported-card")).toHaveLength(5);
    expect(more()).toBeNull();
    expect(text(root, ".reported h2")).toBe("Reported by buyers (5)");
  });
});

describe("fits the phone", () => {
  it("says 'fix the highlighted fields' on top of the form, not in a toast over a field", async () => {
    const { root } = await boot(new FakeMarket(), "/new");
    fill(root, { title: "Red bicycle", category: "hobby", price: "100", city: "" });
    mainButton()!.click();
    await flush();
    const summary = root.querySelector<HTMLElement>(".form-summary")!;
    expect(summary.hidden).toBe(false);
    expect(summary.textContent).toBe("Please fix the highlighted fields.");
    expect(root.querySelector<HTMLElement>(".toast")!.hidden).toBe(true);
    expect(root.querySelector(".field.invalid [name='city']")).not.toBeNull();
  });

  it("clears a refused photo's error when the next photos are chosen", async () => {
    const market = new FakeMarket();
    const item = market.add({ status: "draft", is_mine: true, photos: [] });
    const { app, root } = await boot(market, `/listings/${item.id}/edit`);
    app.uploader = vi.fn(async () => undefined);
    const input = root.querySelector<HTMLInputElement>("#photo-input")!;
    const choose = (file: File) => {
      Object.defineProperty(input, "files", { value: [file], configurable: true });
      input.dispatchEvent(new Event("change"));
    };
    choose(new File(["%PDF"], "scan.pdf", { type: "application/pdf" }));
    await flush(10);
    expect(root.querySelectorAll(".upload-row.failed")).toHaveLength(1);
    choose(new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], "ok.png", { type: "image/png" }));
    await flush(10);
    expect(root.querySelectorAll(".upload-row.failed")).toHaveLength(0);
    expect(root.querySelectorAll(".photo-grid .photo-item")).toHaveLength(1);
  });

  it("starts over when the host opens the app again over it (the menu button), not 'Page not found'", async () => {
    const relaunch = vi.fn();
    const { root } = await boot(new FakeMarket(), "/mine", { relaunch });
    window.location.hash = launchHash().replace(/^#/, "#");
    await flush();
    expect(relaunch).toHaveBeenCalledTimes(1);
    expect(root.textContent).not.toContain("Page not found");
  });
});

describe("my slot watches", () => {
  const watch = (overrides: Record<string, unknown>) => ({
    id: 1,
    provider: { slug: "muc", name: "München", kind: "zms", timezone: "Europe/Berlin" },
    office: { id: "102522", name: "Bürgerbüro Orleansplatz" },
    service: { id: "1063453", name: "Reisepass" },
    date_from: "2026-12-07",
    date_to: "2027-01-06",
    weekdays: [1, 2, 3, 4, 5],
    time_from: "07:00:00",
    time_to: "12:00:00",
    paused: false,
    paused_reason: null,
    booking_url:
      "https://stadt.muenchen.de/buergerservice/terminvereinbarung.html#/services/1063453/locations/102522",
    target_state: "healthy",
    open_slots: ["2026-12-08T08:00:00Z", "2026-12-08T08:30:00Z"],
    created_at: "2026-12-06T04:00:00Z",
    ...overrides,
  });

  it("lists each watch with the last slots seen, in the office's time, and the booking link", async () => {
    const market = new FakeMarket();
    const hostile = watch({ id: 2, office: { id: "1", name: SCRIPT }, paused: true, open_slots: [],
      target_state: "captcha" }); // prettier-ignore
    market.overrides.push((call, path) =>
      call.method === "GET" && path === "/watches" ? json(200, [watch({}), hostile]) : null,
    );
    const { root } = await boot(market, "/watches");
    const cards = [...root.querySelectorAll(".watch-card")];
    expect(cards.map((c) => text(c, ".card-title"))).toEqual(["Bürgerbüro Orleansplatz", SCRIPT]);
    const slots = [...cards[0]!.querySelectorAll(".watch-slots li")].map((li) => li.textContent);
    expect(slots).toHaveLength(2);
    expect(slots[0]).toContain("09:00"); // 08:00 UTC is 09:00 in Munich
    const book = cards[0]!.querySelector<HTMLAnchorElement>("a.watch-book")!;
    expect(book.href).toContain("#/services/1063453/locations/102522");
    expect(book.rel).toContain("noopener");
    expect(text(cards[1]!, ".watch-none")).toBe("None open right now.");
    expect([...cards[1]!.querySelectorAll(".badge")].map((b) => b.textContent)).toEqual([
      "Paused",
      "Asks for a captcha: continue by hand",
    ]);
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
    expect(root.querySelector(".tab[aria-current='page']")?.textContent).toBe("Slots");
  });

  it("says how to start when there is none", async () => {
    const market = new FakeMarket();
    market.overrides.push((_call, path) => (path === "/watches" ? json(200, []) : null));
    const { root } = await boot(market, "/watches");
    expect(root.querySelector(".empty")?.textContent).toContain("/watch");
  });
});

describe("rentals calendars", () => {
  const month = shiftMonth(moscowToday().slice(0, 7), 1); // every day of it is ahead
  const days = daysOf(month);
  const day = (n: number) => days[n - 1]!;

  function rentals(market: FakeMarket, options: { overlap?: boolean } = {}) {
    const closed = new Set([day(5)]);
    const calls: Call[] = [];
    market.overrides.push((call, path) => {
      let m: RegExpExecArray | null;
      if (!path.startsWith("/rentals")) return null;
      calls.push(call);
      if (path === "/rentals/accounts") {
        return json(200, [
          { id: 1, avito_user_id: 5, name: "Анна", access: "owner", revoked: false },
          { id: 2, avito_user_id: 6, name: "Shared", access: "read", revoked: false },
          { id: 3, avito_user_id: 7, name: "Gone", access: "owner", revoked: true },
        ]);
      }
      if ((m = /^\/rentals\/accounts\/(\d+)\/items$/.exec(path))) {
        const items: Record<string, [number, string][]> = {
          "1": [[11, "Студия у моря"], [12, SCRIPT]],
          "2": [[21, "Shared loft"]],
        }; // prettier-ignore
        return json(200, (items[m[1]!] ?? []).map(([id, title]) => ({
          id, account_id: Number(m![1]), avito_item_id: id * 100, title, address: "Сочи",
          status: "active", url: "",
        }))); // prettier-ignore
      }
      if ((m = /^\/rentals\/items\/(\d+)\/calendar$/.exec(path)) && call.method === "GET") {
        const wanted = new URL(call.url, "http://app.local").searchParams.get("month")!;
        return json(200, {
          item_id: Number(m[1]),
          month: wanted,
          days: daysOf(wanted).map((d) => ({
            date: d,
            state:
              m![1] === "11" && d === day(10)
                ? "booked"
                : m![1] === "11" && closed.has(d)
                  ? "closed"
                  : "free",
            booking_id: m![1] === "11" && d === day(10) ? 777 : null,
          })),
        });
      }
      if ((m = /^\/rentals\/items\/(\d+)\/calendar\/preview$/.exec(path))) {
        if (options.overlap) {
          return json(409, {
            detail: "The dates overlap the booking 777",
            status_code: 409,
            code: "booking_overlap",
            params: { booking: "777", check_in: day(10), check_out: day(11) },
          });
        }
        return json(200, { closes: [day(3), day(4), day(6)], opens: [], token: "tok-1" });
      }
      if ((m = /^\/rentals\/items\/(\d+)\/calendar\/confirm$/.exec(path))) {
        for (const d of [day(3), day(4), day(6)]) closed.add(d);
        return json(200, { closed: 3, opened: 0 });
      }
      return json(404, { detail: "Not Found", status_code: 404 });
    });
    return calls;
  }

  const cell = (root: ParentNode, item: number, n: number) =>
    root.querySelector<HTMLElement>(`td[data-item="${item}"][data-date="${day(n)}"]`)!;

  it("shows every item's month side by side: booked, closed and free at a glance", async () => {
    const market = new FakeMarket();
    rentals(market);
    const { root } = await boot(market, `/calendars?month=${month}`);
    const heads = [...root.querySelectorAll(".cal-grid thead .cal-item")].map((th) => th.textContent);
    expect(heads).toEqual(["Студия у моря", SCRIPT, "Shared loft"]); // the revoked account is left out
    expect(root.querySelectorAll(".cal-grid tbody tr")).toHaveLength(days.length);
    expect(cell(root, 11, 10).dataset.state).toBe("booked");
    expect(cell(root, 11, 10).title).toContain("777");
    expect(cell(root, 11, 5).dataset.state).toBe("closed");
    expect(cell(root, 12, 5).dataset.state).toBe("free");
    expect(cell(root, 11, 1).querySelector("button")).not.toBeNull();
    expect(cell(root, 21, 1).querySelector("button")).toBeNull(); // read-only co-host
    expect(root.textContent).toContain("read-only");
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
    expect(root.querySelector(".tab[aria-current='page']")?.textContent).toBe("Calendars");
  });

  it("previews a range (closes N, opens M) and writes it only on Confirm", async () => {
    const market = new FakeMarket();
    const calls = rentals(market);
    const { root } = await boot(market, `/calendars?month=${month}`);
    cell(root, 11, 6).querySelector("button")!.click();
    cell(root, 11, 3).querySelector("button")!.click(); // backwards works too
    expect([3, 4, 5, 6].every((n) => cell(root, 11, n).classList.contains("selected"))).toBe(true);
    expect(cell(root, 11, 7).classList.contains("selected")).toBe(false);
    root.querySelector<HTMLButtonElement>(".cal-close")!.click();
    await flush();
    const preview = calls.find((c) => c.url.endsWith("/calendar/preview"))!;
    expect(preview.url).toBe("/api/v1/rentals/items/11/calendar/preview");
    expect(preview.body).toEqual({ action: "close", ranges: [{ date_start: day(3), date_end: day(7) }] });
    expect(text(root, ".cal-diff")).toBe("Студия у моря: this closes 3 dates, opens 0.");
    expect(calls.some((c) => c.url.endsWith("/confirm"))).toBe(false);

    root.querySelector<HTMLButtonElement>(".cal-confirm")!.click();
    await flush(10);
    const confirm = calls.find((c) => c.url.endsWith("/calendar/confirm"))!;
    expect(confirm.body).toEqual({ ...(preview.body as object), token: "tok-1" });
    expect(text(root, ".toast")).toBe("Done: 3 closed, 0 opened.");
    expect(cell(root, 11, 3).dataset.state).toBe("closed"); // drawn again from the api
  });

  it("names the booking when the range overlaps a paid one (409), and changes nothing", async () => {
    const market = new FakeMarket();
    const calls = rentals(market, { overlap: true });
    const { root } = await boot(market, `/calendars?month=${month}`);
    cell(root, 11, 9).querySelector("button")!.click();
    cell(root, 11, 11).querySelector("button")!.click();
    root.querySelector<HTMLButtonElement>(".cal-close")!.click();
    await flush();
    expect(text(root, ".cal-error")).toBe("The dates overlap the booking 777: nothing changed.");
    expect(root.querySelector(".cal-confirm")).toBeNull();
    expect(calls.some((c) => c.url.endsWith("/confirm"))).toBe(false);
  });

  it("opens one day, and moves between months", async () => {
    const market = new FakeMarket();
    const calls = rentals(market);
    const { root } = await boot(market, `/calendars?month=${month}`);
    cell(root, 11, 5).querySelector("button")!.click();
    root.querySelector<HTMLButtonElement>(".cal-open")!.click();
    await flush();
    const preview = calls.find((c) => c.url.endsWith("/calendar/preview"))!;
    expect(preview.body).toEqual({ action: "open", ranges: [{ date_start: day(5), date_end: day(6) }] });

    root.querySelector<HTMLButtonElement>(".cal-next")!.click();
    await flush(10);
    const next = shiftMonth(month, 1);
    expect(calls.some((c) => c.url === `/api/v1/rentals/items/11/calendar?month=${next}`)).toBe(true);
    expect(root.querySelectorAll(".cal-grid tbody tr")).toHaveLength(daysOf(next).length);
  });

  it("counts months and days across years and leap days; ranges end the day after", () => {
    expect(shiftMonth("2026-12", 1)).toBe("2027-01");
    expect(shiftMonth("2027-01", -1)).toBe("2026-12");
    expect(daysOf("2028-02")).toHaveLength(29);
    expect(daysOf("2027-02").at(-1)).toBe("2027-02-28");
    expect(rangeChange("close", "2027-12-31", "2027-12-30")).toEqual({
      action: "close",
      ranges: [{ date_start: "2027-12-30", date_end: "2028-01-01" }],
    });
    expect(monthOf("2027-13", "2026-12-06")).toBe("2026-12");
    expect(monthOf("1999-01", "2026-12-06")).toBe("2026-12");
    expect(monthOf("2027-03", "2026-12-06")).toBe("2027-03");
  });

  it("falls back to this month on a bad ?month=, and says how to start with no apartments", async () => {
    const market = new FakeMarket();
    market.overrides.push((_call, path) => (path === "/rentals/accounts" ? json(200, []) : null));
    const { root } = await boot(market, "/calendars?month=9999-99");
    expect(root.querySelector(".empty")?.textContent).toContain("/avito_connect");
  });
});

describe("my feed", () => {
  const post = (overrides: Record<string, unknown>) => ({
    document_id: 11,
    source_id: 3,
    channel: "Байты и гайки",
    title: "",
    text: "A phone review",
    url: "https://example.test/post/11",
    published_at: "2026-12-05T10:00:00Z",
    score: 0.8,
    explored: false,
    ...overrides,
  });

  it("shows the best posts in order; a rated one leaves the page", async () => {
    const market = new FakeMarket();
    const rated: unknown[] = [];
    const hostile = post({ document_id: 12, channel: SCRIPT, text: SCRIPT, url: "javascript:alert(1)" });
    market.overrides.push((call, path) => {
      if (call.method === "GET" && path.startsWith("/feed/posts")) return json(200, [post({}), hostile]);
      if (call.method === "POST" && path === "/feed/ratings") {
        rated.push(call.body);
        return json(200, { document_id: 11, verdict: "like", status: "active", ratings: 1 });
      }
      return null;
    });
    const { root } = await boot(market, "/feed");
    let cards = [...root.querySelectorAll(".feed-card")];
    expect(cards.map((c) => text(c, ".card-title"))).toEqual(["Байты и гайки", SCRIPT]);
    expect(cards[1]!.querySelector("a")).toBeNull(); // a javascript: link is dropped
    const like = [...cards[0]!.querySelectorAll("button")].find((b) => b.textContent === "👍")!;
    like.click();
    await flush();
    expect(rated).toEqual([{ document_id: 11, verdict: "like" }]);
    cards = [...root.querySelectorAll(".feed-card")];
    expect(cards).toHaveLength(1);
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
    expect(root.querySelector(".tab[aria-current='page']")?.textContent).toBe("Feed");
  });

  it("says how to start when there is nothing", async () => {
    const market = new FakeMarket();
    market.overrides.push((_call, path) => (path.startsWith("/feed/posts") ? json(200, []) : null));
    const { root } = await boot(market, "/feed");
    expect(root.querySelector(".empty")?.textContent).toContain("/feed");
  });
});

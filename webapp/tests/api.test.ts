import { describe, expect, it, vi } from "vitest";
import { ApiClient, ApiError, parseErrorBody, parseRetryAfter, withoutBlanks } from "../src/api";
import { auth, json, listing, stubFetch, type Call } from "./helpers";

const INIT_DATA = "query_id=AAH&user=%7B%22id%22%3A1%7D&auth_date=1700000000&hash=abc";

function client(
  handler: (call: Call) => Response | Promise<Response>,
  extra: Partial<ConstructorParameters<typeof ApiClient>[0]> = {},
) {
  const stub = stubFetch(handler);
  const sleep = vi.fn(async () => undefined);
  const api = new ApiClient({ initData: () => INIT_DATA, fetch: stub.fetch, sleep, ...extra });
  return { api, calls: stub.calls, sleep };
}

const isLogin = (call: Call) => call.url === "/api/v1/auth/telegram";

describe("authentication", () => {
  it("exchanges initData with the tma scheme, then sends the bearer token", async () => {
    const { api, calls } = client((call) => (isLogin(call) ? json(200, auth()) : json(200, listing())));
    const got = await api.listing(7);
    expect(got.id).toBe(7);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.method).toBe("POST");
    expect(calls[0]!.headers.authorization).toBe(`tma ${INIT_DATA}`);
    expect(calls[1]!.url).toBe("/api/v1/listings/7");
    expect(calls[1]!.headers.authorization).toBe("Bearer token-1");
    expect(api.user?.telegram_id).toBe(1001);
  });

  it("shares one exchange between concurrent requests", async () => {
    const { api, calls } = client((call) => (isLogin(call) ? json(200, auth()) : json(200, listing())));
    await Promise.all([api.listing(1), api.listing(2), api.listing(3)]);
    expect(calls.filter(isLogin)).toHaveLength(1);
  });

  it("refreshes the token before expires_in runs out", async () => {
    let now = 1_000_000;
    let n = 0;
    const { api, calls } = client(
      (call) =>
        isLogin(call)
          ? json(200, auth({ access_token: `token-${++n}`, expires_in: 600 }))
          : json(200, listing()),
      { now: () => now },
    );
    await api.listing(1);
    now += 500 * 1000; // still more than a minute left
    await api.listing(1);
    expect(calls.filter(isLogin)).toHaveLength(1);
    now += 50 * 1000; // less than a minute left
    await api.listing(1);
    expect(calls.filter(isLogin)).toHaveLength(2);
    expect(calls.at(-1)!.headers.authorization).toBe("Bearer token-2");
  });

  it("re-authenticates once on a 401 and retries the request", async () => {
    let n = 0;
    let first = true;
    const { api, calls } = client((call) => {
      if (isLogin(call)) return json(200, auth({ access_token: `token-${++n}` }));
      if (first) {
        first = false;
        return json(401, { detail: "Token expired", status_code: 401 });
      }
      return json(200, listing());
    });
    await expect(api.listing(7)).resolves.toMatchObject({ id: 7 });
    expect(calls.map((c) => c.headers.authorization)).toEqual([
      `tma ${INIT_DATA}`,
      "Bearer token-1",
      `tma ${INIT_DATA}`,
      "Bearer token-2",
    ]);
  });

  it("gives up after the second 401 instead of looping", async () => {
    const { api, calls } = client((call) =>
      isLogin(call) ? json(200, auth()) : json(401, { detail: "Nope", status_code: 401 }),
    );
    const error = await api.listing(7).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).kind).toBe("auth");
    expect(calls.filter(isLogin)).toHaveLength(2);
    expect(calls).toHaveLength(4);
  });

  it("reports refused initData as an auth error", async () => {
    const { api } = client(() => json(401, { detail: "initData is too old", status_code: 401 }));
    await expect(api.authenticate()).rejects.toMatchObject({
      kind: "auth",
      status: 401,
      message: "initData is too old",
    });
  });

  it("does not call the server without initData", async () => {
    const { api, calls } = client(() => json(200, auth()), { initData: () => "" });
    await expect(api.authenticate()).rejects.toMatchObject({ kind: "auth" });
    expect(calls).toHaveLength(0);
  });
});

describe("errors", () => {
  it("reads a string detail", () => {
    expect(parseErrorBody(409, { detail: "Too many active listings", status_code: 409 })).toEqual({
      message: "Too many active listings",
      fieldErrors: {},
      code: null,
      params: {},
    });
  });

  it("reads the error's code and params, and drops params that are not text or numbers", () => {
    const body = {
      detail: "You have 10 active listings",
      status_code: 409,
      code: "too_many_listings",
      params: { max: 10, nested: { no: 1 } },
    };
    expect(parseErrorBody(409, body)).toMatchObject({ code: "too_many_listings", params: { max: 10 } });
  });

  it("reads a 422 detail list into per-field messages", () => {
    const parsed = parseErrorBody(422, {
      detail: [
        { loc: ["body", "title"], msg: "String should have at least 3 characters", type: "string_too_short" },
        { loc: ["body", "price"], msg: "Value error, too many decimals", type: "value_error" },
        { loc: ["body"], msg: "Extra inputs are not permitted", type: "extra_forbidden" },
      ],
      status_code: 422,
    });
    expect(parsed.fieldErrors).toEqual({
      title: "String should have at least 3 characters",
      price: "too many decimals",
    });
    expect(parsed.message).toContain("title: String should have at least 3 characters");
    expect(parsed.message).toContain("Extra inputs are not permitted");
  });

  it("falls back for bodies that are not the error shape", () => {
    expect(parseErrorBody(502, "<html>Bad gateway</html>").message).toBe("<html>Bad gateway</html>");
    expect(parseErrorBody(500, undefined).message).toBe("Request failed (HTTP 500)");
    expect(parseErrorBody(500, { error: "x" }).message).toBe("Request failed (HTTP 500)");
  });

  it("throws ApiError with the status, message and field errors", async () => {
    const { api } = client((call) =>
      isLogin(call)
        ? json(200, auth())
        : json(422, {
            detail: [{ loc: ["body", "city"], msg: "Too short", type: "string_too_short" }],
            status_code: 422,
          }),
    );
    const error = (await api
      .createListing({
        title: "Bike",
        description: "",
        category: "hobby",
        price: "1",
        allow_direct_contact: false,
        currency: "RUB",
        city: "M",
      })
      .catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(422);
    expect(error.kind).toBe("http");
    expect(error.fieldErrors).toEqual({ city: "Too short" });
  });

  it("turns a failed fetch into a network error", async () => {
    const { api } = client(() => {
      throw new TypeError("Failed to fetch");
    });
    await expect(api.authenticate()).rejects.toMatchObject({ kind: "network", status: 0 });
  });
});

describe("rate limits", () => {
  it("waits out a short Retry-After, says so, and retries", async () => {
    const onRateLimited = vi.fn();
    let limited = true;
    const { api, sleep } = client(
      (call) => {
        if (isLogin(call)) return json(200, auth());
        if (limited) {
          limited = false;
          return json(429, { detail: "Too Many Requests", status_code: 429 }, { "Retry-After": "2" });
        }
        return json(200, listing());
      },
      { onRateLimited },
    );
    await expect(api.listing(7)).resolves.toMatchObject({ id: 7 });
    expect(onRateLimited).toHaveBeenCalledWith(2);
    expect(sleep).toHaveBeenCalledWith(2000);
  });

  it("does not wait for a long Retry-After: the error carries it", async () => {
    const { api, sleep } = client((call) =>
      isLogin(call)
        ? json(200, auth())
        : json(429, { detail: "Slow down", status_code: 429 }, { "Retry-After": "120" }),
    );
    const error = (await api.listing(7).catch((e: unknown) => e)) as ApiError;
    expect(error.kind).toBe("rate_limited");
    expect(error.retryAfter).toBe(120);
    expect(sleep).not.toHaveBeenCalled();
  });

  it("stops retrying after a few 429s", async () => {
    const { api, calls, sleep } = client((call) =>
      isLogin(call)
        ? json(200, auth())
        : json(429, { detail: "Slow down", status_code: 429 }, { "Retry-After": "1" }),
    );
    await expect(api.listing(7)).rejects.toMatchObject({ kind: "rate_limited", retryAfter: 1 });
    expect(sleep).toHaveBeenCalledTimes(2);
    expect(calls.filter((c) => !isLogin(c))).toHaveLength(3);
  });

  it("applies to the initData exchange too", async () => {
    let limited = true;
    const { api } = client(() => {
      if (limited) {
        limited = false;
        return json(429, { detail: "Slow down", status_code: 429 }, { "Retry-After": "1" });
      }
      return json(200, auth());
    });
    await expect(api.authenticate()).resolves.toMatchObject({ access_token: "token-1" });
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    expect(parseRetryAfter("5")).toBe(5);
    expect(parseRetryAfter("1.2")).toBe(2);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter("soon")).toBeNull();
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:30 GMT", now)).toBe(30);
  });
});

describe("requests", () => {
  it("sends JSON bodies and builds query strings without empty values", async () => {
    const { api, calls } = client((call) =>
      isLogin(call) ? json(200, auth()) : json(200, { items: [], next_cursor: null }),
    );
    await api.search({ q: "bike", category: null, city: "  ", price_min: "10", currency: "RUB" }, "abc");
    const url = new URL(calls[1]!.url, "http://x");
    expect(url.pathname).toBe("/api/v1/listings");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      q: "bike",
      price_min: "10",
      currency: "RUB",
      cursor: "abc",
      limit: "20",
    });
    await api.reject(listing({ id: 5, revision: 3 }), "Blurry photos");
    expect(calls[2]).toMatchObject({
      method: "POST",
      url: "/api/v1/admin/listings/5/reject",
      body: { revision: 3, reason: "Blurry photos" },
    });
    expect(calls[2]!.headers["content-type"]).toBe("application/json");
  });

  it("maps every market call to its route", async () => {
    const { api, calls } = client((call) =>
      isLogin(call) ? json(200, auth()) : call.method === "DELETE" ? json(204, null) : json(200, {}),
    );
    await api.categories();
    await api.myListings("rejected");
    await api.updateListing(3, { price: "10" });
    await api.submitListing(3);
    await api.archiveListing(3);
    await api.photoTicket(3);
    await api.completePhoto(3, 9);
    await expect(api.deletePhoto(3, 9)).resolves.toBeUndefined();
    await api.moderationQueue("c1");
    await api.approve(listing({ id: 3, revision: 2 }));
    expect(calls.at(-1)!.body).toEqual({ revision: 2 });
    expect(calls.slice(1).map((c) => `${c.method} ${c.url}`)).toEqual([
      "GET /api/v1/listings/categories",
      "GET /api/v1/listings/mine?status=rejected",
      "PATCH /api/v1/listings/3",
      "POST /api/v1/listings/3/submit",
      "POST /api/v1/listings/3/archive",
      "POST /api/v1/listings/3/photos",
      "POST /api/v1/listings/3/photos/9/complete",
      "DELETE /api/v1/listings/3/photos/9",
      "GET /api/v1/admin/moderation/queue?cursor=c1",
      "POST /api/v1/admin/listings/3/approve",
    ]);
  });

  it("reads categories as the contract's ids", async () => {
    const { api } = client((call) => (isLogin(call) ? json(200, auth()) : json(200, ["home", "kids"])));
    await expect(api.categories()).resolves.toEqual(["home", "kids"]);
  });

  it("leaves blank filters out of the query", async () => {
    expect(withoutBlanks({ a: undefined, b: null, c: "", d: "  x ", e: 0 })).toEqual({ d: "x", e: 0 });
    const { api, calls } = client((call) =>
      isLogin(call) ? json(200, auth()) : json(200, { items: [], next_cursor: null }),
    );
    await api.search({ q: "two words", city: "" });
    expect(calls[1]!.url).toBe("/api/v1/listings?q=two%20words&limit=20");
  });

  it("sends to the base URL it was given", async () => {
    const { api, calls } = client(
      (call) => (call.url.endsWith("/auth/telegram") ? json(200, auth()) : json(200, listing())),
      {
        baseUrl: "https://api.example.org",
      },
    );
    await api.listing(7);
    expect(calls.map((c) => c.url)).toEqual([
      "https://api.example.org/api/v1/auth/telegram",
      "https://api.example.org/api/v1/listings/7",
    ]);
  });
});

// Test helpers: a fetch stand-in at the network boundary, contract-shaped objects, and
// launch data signed-looking enough for the client (the server is what checks hashes).

import { vi } from "vitest";
import type { AuthTokenRead, ListingRead, PhotoRead, UserRead } from "../src/types";

export interface Call {
  method: string;
  /** Path and query for the page's own origin (where the client sends), else the whole URL. */
  url: string;
  /** Header names in lower case, as fetch's Headers keeps them. */
  headers: Record<string, string>;
  body: unknown;
}

export type Handler = (call: Call) => Response | Promise<Response>;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/** A fetch (as the api client calls it: with a Request) that records calls and answers with ``handler``. */
export function stubFetch(handler: Handler) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (request: Request) => {
    const url = new URL(request.url);
    const text = await request.text();
    const call: Call = {
      method: request.method,
      url: url.origin === window.location.origin ? `${url.pathname}${url.search}` : url.href,
      headers: Object.fromEntries(request.headers),
      body: text ? JSON.parse(text) : undefined,
    };
    calls.push(call);
    return handler(call);
  });
  return { fetch, calls };
}

export function user(overrides: Partial<UserRead> = {}): UserRead {
  return {
    id: 1,
    telegram_id: 1001,
    username: "alice",
    first_name: "Alice",
    last_name: null,
    language_code: "en",
    language: null,
    role: "user",
    status: "active",
    created_at: "2025-01-01T00:00:00Z",
    last_seen_at: "2025-01-01T00:00:00Z",
    blocked_at: null,
    ...overrides,
  };
}

export function auth(
  overrides: Partial<AuthTokenRead> = {},
  userOverrides: Partial<UserRead> = {},
): AuthTokenRead {
  return {
    access_token: "token-1",
    token_type: "bearer",
    expires_in: 900,
    user: user(userOverrides),
    ...overrides,
  };
}

export function photo(overrides: Partial<PhotoRead> = {}): PhotoRead {
  return {
    id: 1,
    position: 0,
    url: "/media/photos/1.jpg",
    thumbnail_url: "/media/photos/1-thumb.jpg",
    width: 800,
    height: 600,
    ready: true,
    ...overrides,
  };
}

export function listing(overrides: Partial<ListingRead> = {}): ListingRead {
  return {
    id: 7,
    title: "Bicycle",
    description: "A red bicycle",
    category: "hobby",
    price: "1500.00",
    currency: "RUB",
    city: "Moscow",
    status: "approved",
    availability: "available",
    revision: 1,
    rejection_reason: null,
    photos: [],
    created_at: "2025-01-01T00:00:00Z",
    updated_at: "2025-01-02T00:00:00Z",
    published_at: "2025-01-02T00:00:00Z",
    expires_at: "2025-02-01T00:00:00Z",
    is_mine: false,
    allow_direct_contact: false,
    seller_link: null,
    stats: null,
    ...overrides,
  };
}

/** The ``%``-quoting Python's urllib.parse.quote(safe="") does (what the sandbox uses). */
export function quote(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export interface LaunchUser {
  id: number;
  first_name: string;
  language_code?: string;
  username?: string;
}

/** initData as the sandbox builds it: query_id, user (JSON), auth_date, hash. */
export function initData(who: LaunchUser = { id: 1001, first_name: "Alice", language_code: "en" }): string {
  const fields: [string, string][] = [
    ["query_id", "AAHtest"],
    ["user", JSON.stringify(who)],
    ["auth_date", "1700000000"],
    ["hash", "0".repeat(64)],
  ];
  return fields.map(([k, v]) => `${k}=${quote(v)}`).join("&");
}

/** The fragment the sandbox chat page opens the Mini App with. */
export function launchHash(data: string = initData(), theme?: Record<string, string>): string {
  let hash = `#tgWebAppData=${quote(data)}&tgWebAppVersion=8.0&tgWebAppPlatform=web`;
  if (theme) hash += `&tgWebAppThemeParams=${quote(JSON.stringify(theme))}`;
  return hash;
}

export async function flush(times = 5): Promise<void> {
  for (let i = 0; i < times; i += 1) await new Promise((resolve) => setTimeout(resolve, 0));
}

// Launch parameters from the URL fragment, read the way telegram-web-app.js reads them.
// (@telegram-apps/bridge has a reader too, but it keeps the parameters in web storage,
// and initData stays in memory here; its schema also wants the Ed25519 `signature`, which
// the sandbox cannot make. The server checks initData either way.)

import type { InitDataUnsafe } from "./types";

export function urlSafeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, "%20"));
  } catch {
    return value;
  }
}

export function parseQueryString(query: string): Record<string, string | null> {
  const params: Record<string, string | null> = {};
  if (!query) return params;
  for (const part of query.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const name = urlSafeDecode(eq < 0 ? part : part.slice(0, eq));
    params[name] = eq < 0 ? null : urlSafeDecode(part.slice(eq + 1));
  }
  return params;
}

export interface LaunchParams {
  path: string | null;
  params: Record<string, string | null>;
}

/** Read a location hash the way telegram-web-app.js does (`#k=v&…` or `#path?k=v&…`). */
export function parseLaunchHash(hash: string): LaunchParams {
  const body = hash.replace(/^#/, "");
  if (!body) return { path: null, params: {} };
  if (!body.includes("=") && !body.includes("?")) return { path: urlSafeDecode(body), params: {} };
  const q = body.indexOf("?");
  const path = q >= 0 ? urlSafeDecode(body.slice(0, q)) : null;
  return { path: path || null, params: parseQueryString(q >= 0 ? body.slice(q + 1) : body) };
}

/** initDataUnsafe: the initData fields, with JSON values (user, chat…) parsed. */
export function parseInitData(initData: string): InitDataUnsafe {
  const unsafe: InitDataUnsafe = {};
  for (const [key, value] of Object.entries(parseQueryString(initData))) {
    if (value === null) continue;
    let parsed: unknown = value;
    if (/^(\{.*\}|\[.*\])$/s.test(value)) {
      try {
        parsed = JSON.parse(value);
      } catch {
        parsed = value;
      }
    } else if (key === "auth_date" && /^\d+$/.test(value)) {
      parsed = Number(value);
    }
    unsafe[key] = parsed;
  }
  return unsafe;
}

export function isLaunchHash(hash: string): boolean {
  return /(^#|[?&])tgWebApp[A-Za-z]*=/.test(hash);
}

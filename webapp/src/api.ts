// The REST client for /api/v1. Authenticates by sending Telegram's initData once
// ("Authorization: tma …") for a short-lived bearer token, refreshes it before it runs
// out or after a 401, and turns every error into an ApiError with a readable message.

import type {
  AuthTokenRead,
  Category,
  ListingCreate,
  ListingPage,
  ListingRead,
  ListingStatus,
  ListingUpdate,
  PhotoRead,
  SearchFilters,
  UploadTicket,
  UserRead,
  ValidationIssue,
} from "./types";

export type ApiErrorKind = "http" | "network" | "rate_limited" | "auth";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly kind: ApiErrorKind = "http",
    /** Field name → message, from a 422's detail list (loc ["body", field, …]). */
    readonly fieldErrors: Record<string, string> = {},
    /** Seconds to wait, from a 429's Retry-After. */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface ParsedError {
  message: string;
  fieldErrors: Record<string, string>;
}

/** Read ``{"detail": str | [{loc, msg, type}], "status_code": n}`` (or anything else). */
export function parseErrorBody(status: number, body: unknown): ParsedError {
  const fallback = `Request failed (HTTP ${status})`;
  if (!body || typeof body !== "object") {
    return {
      message: typeof body === "string" && body.trim() && body.length < 300 ? body.trim() : fallback,
      fieldErrors: {},
    };
  }
  const detail = (body as { detail?: unknown }).detail;
  if (typeof detail === "string" && detail.trim()) return { message: detail, fieldErrors: {} };
  if (Array.isArray(detail)) {
    const fieldErrors: Record<string, string> = {};
    const messages: string[] = [];
    for (const item of detail as Partial<ValidationIssue>[]) {
      if (!item || typeof item.msg !== "string") continue;
      const loc = Array.isArray(item.loc) ? item.loc : [];
      const path = loc[0] === "body" || loc[0] === "query" || loc[0] === "path" ? loc.slice(1) : loc;
      const field = path.length ? String(path[0]) : "";
      const msg = item.msg.replace(/^Value error, /, "");
      if (field && !(field in fieldErrors)) fieldErrors[field] = msg;
      messages.push(field ? `${field}: ${msg}` : msg);
    }
    if (messages.length) return { message: messages.join("; "), fieldErrors };
  }
  if (detail && typeof detail === "object" && typeof (detail as { msg?: unknown }).msg === "string") {
    return { message: (detail as { msg: string }).msg, fieldErrors: {} };
  }
  return { message: fallback, fieldErrors: {} };
}

/** Retry-After is seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value.trim() === "") return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.max(0, Math.ceil(Number(trimmed)));
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

export interface ApiClientOptions {
  /** Telegram's raw initData (kept by the caller, in memory). */
  initData: () => string;
  baseUrl?: string;
  fetch?: typeof fetch;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Told before each automatic wait after a 429, to show "slow down". */
  onRateLimited?: (seconds: number) => void;
  /** The longest Retry-After worth waiting for automatically (seconds). */
  maxAutoWaitS?: number;
  /** How many times a 429 is retried automatically. */
  maxRateLimitRetries?: number;
}

type Query = Record<string, string | number | null | undefined>;

interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

const REFRESH_MARGIN_S = 60;

export class ApiClient {
  user: UserRead | null = null;
  private token: string | null = null;
  private expiresAt = 0;
  private login: Promise<AuthTokenRead> | null = null;
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ApiClientOptions) {
    this.base = (options.baseUrl ?? "/api/v1").replace(/\/$/, "");
    // Bound to globalThis: calling window.fetch detached from it throws "Illegal invocation".
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.now = options.now ?? (() => Date.now());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  // --- auth ---------------------------------------------------------------

  /** Exchange initData for a bearer token (one exchange at a time). */
  authenticate(): Promise<AuthTokenRead> {
    if (!this.login) {
      this.login = this.exchange().finally(() => {
        this.login = null;
      });
    }
    return this.login;
  }

  private async exchange(): Promise<AuthTokenRead> {
    const initData = this.options.initData();
    if (!initData) throw new ApiError(401, "No Telegram launch data", "auth");
    const response = await this.sendPolitely(
      "POST",
      "/auth/telegram",
      { Authorization: `tma ${initData}` },
      {},
    );
    if (response.status === 401 || response.status === 403) {
      const { message } = parseErrorBody(response.status, await readBody(response));
      throw new ApiError(response.status, message, "auth");
    }
    const auth = await this.decode<AuthTokenRead>(response);
    this.token = auth.access_token;
    const lifetime = Math.max(0, auth.expires_in);
    // Refresh a minute early, or at a fifth of the lifetime left for short tokens.
    this.expiresAt = this.now() + (lifetime - Math.min(REFRESH_MARGIN_S, lifetime / 5)) * 1000;
    this.user = auth.user;
    return auth;
  }

  private async bearer(): Promise<string> {
    if (!this.token || this.now() >= this.expiresAt) await this.authenticate();
    return this.token!;
  }

  // --- transport ----------------------------------------------------------

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = withQuery(path, options.query);
    let token = await this.bearer();
    let response = await this.sendPolitely(method, url, { Authorization: `Bearer ${token}` }, options);
    if (response.status === 401) {
      // The token expired or the server forgot it: exchange initData again, once.
      this.token = null;
      token = await this.bearer();
      response = await this.sendPolitely(method, url, { Authorization: `Bearer ${token}` }, options);
    }
    return this.decode<T>(response);
  }

  /** Send; after a 429 wait out a short Retry-After and try again (a few times). */
  private async sendPolitely(
    method: string,
    path: string,
    headers: Record<string, string>,
    options: RequestOptions,
  ): Promise<Response> {
    const maxWait = this.options.maxAutoWaitS ?? 10;
    const maxRetries = this.options.maxRateLimitRetries ?? 2;
    for (let attempt = 0; ; attempt += 1) {
      const response = await this.send(method, path, headers, options);
      if (response.status !== 429 || attempt >= maxRetries) return response;
      const wait = parseRetryAfter(response.headers.get("Retry-After"), this.now()) ?? 1;
      if (wait > maxWait) return response;
      this.options.onRateLimited?.(wait);
      await this.sleep(wait * 1000);
    }
  }

  private async send(
    method: string,
    path: string,
    headers: Record<string, string>,
    options: RequestOptions,
  ): Promise<Response> {
    const init: RequestInit = { method, headers: { Accept: "application/json", ...headers } };
    if (options.body !== undefined) {
      init.body = JSON.stringify(options.body);
      (init.headers as Record<string, string>)["Content-Type"] = "application/json";
    }
    if (options.signal) init.signal = options.signal;
    try {
      return await this.fetchImpl(`${this.base}${path}`, init);
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError") throw error;
      throw new ApiError(0, "Network error: the server cannot be reached", "network");
    }
  }

  private async decode<T>(response: Response): Promise<T> {
    const body = await readBody(response);
    if (response.ok) return body as T;
    const { message, fieldErrors } = parseErrorBody(response.status, body);
    if (response.status === 429) {
      const wait = parseRetryAfter(response.headers.get("Retry-After"), this.now());
      throw new ApiError(429, message, "rate_limited", fieldErrors, wait);
    }
    if (response.status === 401) throw new ApiError(401, message, "auth", fieldErrors);
    throw new ApiError(response.status, message, "http", fieldErrors);
  }

  // --- the market desk ----------------------------------------------------

  async categories(): Promise<Category[]> {
    return normalizeCategories(await this.request<unknown>("GET", "/listings/categories"));
  }

  createListing(body: ListingCreate): Promise<ListingRead> {
    return this.request("POST", "/listings", { body });
  }

  myListings(status?: ListingStatus | null, cursor?: string | null): Promise<ListingPage> {
    return this.request("GET", "/listings/mine", { query: { status, cursor } });
  }

  listing(id: number | string): Promise<ListingRead> {
    return this.request("GET", `/listings/${enc(id)}`);
  }

  updateListing(id: number | string, body: ListingUpdate): Promise<ListingRead> {
    return this.request("PATCH", `/listings/${enc(id)}`, { body });
  }

  submitListing(id: number | string): Promise<ListingRead> {
    return this.request("POST", `/listings/${enc(id)}/submit`);
  }

  archiveListing(id: number | string): Promise<ListingRead> {
    return this.request("POST", `/listings/${enc(id)}/archive`);
  }

  photoTicket(id: number | string): Promise<UploadTicket> {
    return this.request("POST", `/listings/${enc(id)}/photos`);
  }

  completePhoto(id: number | string, photoId: number): Promise<PhotoRead> {
    return this.request("POST", `/listings/${enc(id)}/photos/${enc(photoId)}/complete`);
  }

  deletePhoto(id: number | string, photoId: number): Promise<unknown> {
    return this.request("DELETE", `/listings/${enc(id)}/photos/${enc(photoId)}`);
  }

  search(filters: SearchFilters, cursor?: string | null, limit = 20): Promise<ListingPage> {
    return this.request("GET", "/listings", { query: { ...filters, cursor, limit } });
  }

  moderationQueue(cursor?: string | null): Promise<ListingPage> {
    return this.request("GET", "/admin/moderation/queue", { query: { cursor } });
  }

  approve(id: number | string): Promise<ListingRead> {
    return this.request("POST", `/admin/listings/${enc(id)}/approve`);
  }

  reject(id: number | string, reason: string): Promise<ListingRead> {
    return this.request("POST", `/admin/listings/${enc(id)}/reject`, { body: { reason } });
  }
}

function enc(value: number | string): string {
  return encodeURIComponent(String(value));
}

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    const text = String(value).trim();
    if (text !== "") params.set(key, text);
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

async function readBody(response: Response): Promise<unknown> {
  if (response.status === 204) return undefined;
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The categories as the app uses them. The contract sends their ids (`["home", …]`);
 * objects with localized titles (`[{id, title: {en, ru}}]`) are read too. Anything else
 * is dropped, so the form falls back to the contract's list and its own titles.
 */
export function normalizeCategories(body: unknown): Category[] {
  if (!Array.isArray(body)) return [];
  const categories: Category[] = [];
  for (const item of body as unknown[]) {
    if (typeof item === "string" && item) {
      categories.push({ id: item, title: {} });
    } else if (item && typeof item === "object") {
      const { id, title } = item as { id?: unknown; title?: unknown };
      if (typeof id !== "string" || !id) continue;
      categories.push({ id, title: title && typeof title === "object" ? (title as Category["title"]) : {} });
    }
  }
  return categories;
}

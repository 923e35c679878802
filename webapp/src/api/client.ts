// The REST client for /api/v1: openapi-fetch typed by the api's OpenAPI document
// (schema.ts, generated). Underneath, one transport authenticates by sending Telegram's
// initData once ("Authorization: tma …") for a short-lived bearer token, refreshes it
// before it runs out or after a 401, waits out short 429s, and every error becomes an
// ApiError with a readable message.

import createClient, { type Client } from "openapi-fetch";
import type {
  AuthTokenRead,
  Availability,
  CalendarChange,
  CalendarMonth,
  CalendarPreview,
  CalendarWritten,
  FaqRead,
  GuestSettings,
  GuestSettingsRead,
  CategoryId,
  Currency,
  FeedPost,
  InquiryRead,
  ListingCreate,
  ListingPage,
  ListingRead,
  ListingStatus,
  ListingUpdate,
  PhotoRead,
  ReportedPage,
  ReportRead,
  RentalsAccount,
  RentalsItem,
  ReportReason,
  SearchFilters,
  UploadTicket,
  UserRead,
  ValidationIssue,
  Verdict,
  WatchRead,
} from "../types";
import type { paths } from "./schema";

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
    /** What happened, for the user's language (the body's ``code``), and its values. */
    readonly code: string | null = null,
    readonly params: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface ParsedError {
  message: string;
  fieldErrors: Record<string, string>;
  code: string | null;
  params: Record<string, string | number>;
}

/** The body's ``code`` and ``params`` (the api puts them on every expected outcome). */
export function errorCodeOf(body: unknown): Pick<ParsedError, "code" | "params"> {
  if (!body || typeof body !== "object") return { code: null, params: {} };
  const { code, params } = body as { code?: unknown; params?: unknown };
  const kept: Record<string, string | number> = {};
  if (params && typeof params === "object") {
    for (const [name, value] of Object.entries(params as Record<string, unknown>)) {
      if (typeof value === "string" || typeof value === "number") kept[name] = value;
    }
  }
  return { code: typeof code === "string" && code ? code : null, params: kept };
}

/** Read ``{"detail": str | [{loc, msg, type}], "status_code": n}`` (or anything else). */
export function parseErrorBody(status: number, body: unknown): ParsedError {
  return { ...parseDetail(status, body), ...errorCodeOf(body) };
}

function parseDetail(status: number, body: unknown): Omit<ParsedError, "code" | "params"> {
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
  /** Where /api/v1 is; the page's own origin by default. */
  baseUrl?: string;
  fetch?: (request: Request) => Promise<Response>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Told before each automatic wait after a 429, to show "slow down". */
  onRateLimited?: (seconds: number) => void;
  /** The longest Retry-After worth waiting for automatically (seconds). */
  maxAutoWaitS?: number;
  /** How many times a 429 is retried automatically. */
  maxRateLimitRetries?: number;
}

/** What every openapi-fetch call resolves to: data on success, else the error body. */
interface Outcome<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

const REFRESH_MARGIN_S = 60;

export class ApiClient {
  user: UserRead | null = null;
  private token: string | null = null;
  private expiresAt = 0;
  private login: Promise<AuthTokenRead> | null = null;
  private readonly http: Client<paths>;
  private readonly fetchImpl: (request: Request) => Promise<Response>;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ApiClientOptions) {
    // Bound to globalThis: calling window.fetch detached from it throws "Illegal invocation".
    this.fetchImpl = options.fetch ?? ((request) => globalThis.fetch(request));
    this.now = options.now ?? (() => Date.now());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.http = createClient<paths>({
      baseUrl: options.baseUrl ?? globalThis.location.origin,
      fetch: (request) => this.transport(request),
    });
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
    const signIn = this.http.POST("/api/v1/auth/telegram", {
      headers: { Authorization: `tma ${initData}` },
    });
    // A refused initData is a 401 or a 403 (a blocked user): either way, not signed in.
    const auth = await this.result(signIn, { authStatuses: [401, 403] });
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

  /** openapi-fetch's fetch: the bearer token on every call but the exchange itself. */
  private async transport(request: Request): Promise<Response> {
    if (request.headers.has("Authorization")) return this.sendPolitely(request);
    let response = await this.sendPolitely(await this.withBearer(request));
    if (response.status === 401) {
      // The token expired or the server forgot it: exchange initData again, once.
      this.token = null;
      response = await this.sendPolitely(await this.withBearer(request));
    }
    return response;
  }

  private async withBearer(request: Request): Promise<Request> {
    const token = await this.bearer();
    const authorized = request.clone();
    authorized.headers.set("Authorization", `Bearer ${token}`);
    return authorized;
  }

  /** Send; after a 429 wait out a short Retry-After and try again (a few times). */
  private async sendPolitely(request: Request): Promise<Response> {
    const maxWait = this.options.maxAutoWaitS ?? 10;
    const maxRetries = this.options.maxRateLimitRetries ?? 2;
    for (let attempt = 0; ; attempt += 1) {
      const response = await this.send(request.clone());
      if (response.status !== 429 || attempt >= maxRetries) return response;
      const wait = parseRetryAfter(response.headers.get("Retry-After"), this.now()) ?? 1;
      if (wait > maxWait) return response;
      this.options.onRateLimited?.(wait);
      await this.sleep(wait * 1000);
    }
  }

  private async send(request: Request): Promise<Response> {
    try {
      return await this.fetchImpl(request);
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError") throw error;
      throw new ApiError(0, "Network error: the server cannot be reached", "network");
    }
  }

  /** The data of a success; an ApiError for anything else. */
  private async result<T>(
    pending: Promise<Outcome<T>>,
    options: { authStatuses?: number[] } = {},
  ): Promise<T> {
    const { data, error, response } = await pending;
    if (response.ok) return data as T;
    const status = response.status;
    const { message, fieldErrors, code, params } = parseErrorBody(status, error);
    if (status === 429) {
      const wait = parseRetryAfter(response.headers.get("Retry-After"), this.now());
      throw new ApiError(429, message, "rate_limited", fieldErrors, wait, code, params);
    }
    if (status === 401 || options.authStatuses?.includes(status)) {
      throw new ApiError(status, message, "auth", fieldErrors, null, code, params);
    }
    throw new ApiError(status, message, "http", fieldErrors, null, code, params);
  }

  // --- the watch desk -----------------------------------------------------

  myWatches(): Promise<WatchRead[]> {
    return this.result(this.http.GET("/api/v1/watches"));
  }

  // --- the rentals desk ---------------------------------------------------

  rentalsAccounts(): Promise<RentalsAccount[]> {
    return this.result(this.http.GET("/api/v1/rentals/accounts"));
  }

  rentalsItems(accountId: number): Promise<RentalsItem[]> {
    return this.result(
      this.http.GET("/api/v1/rentals/accounts/{account_id}/items", {
        params: { path: { account_id: accountId } },
      }),
    );
  }

  /** Each day of the month (YYYY-MM) of an item: free, closed or booked. */
  itemCalendar(itemId: number, month: string): Promise<CalendarMonth> {
    return this.result(
      this.http.GET("/api/v1/rentals/items/{item_id}/calendar", {
        params: { path: { item_id: itemId }, query: { month } },
      }),
    );
  }

  /** What a change would close and open (nothing is written), with its confirmation token. */
  previewCalendar(itemId: number, change: CalendarChange): Promise<CalendarPreview> {
    return this.result(
      this.http.POST("/api/v1/rentals/items/{item_id}/calendar/preview", {
        params: { path: { item_id: itemId } },
        body: change,
      }),
    );
  }

  confirmCalendar(itemId: number, change: CalendarChange, token: string): Promise<CalendarWritten> {
    return this.result(
      this.http.POST("/api/v1/rentals/items/{item_id}/calendar/confirm", {
        params: { path: { item_id: itemId } },
        body: { ...change, token },
      }),
    );
  }

  /** The item's facts the guest assistant answers from, its mode, quiet hours, time zone. */
  guestSettings(itemId: number): Promise<GuestSettingsRead> {
    return this.result(
      this.http.GET("/api/v1/rentals/items/{item_id}/guest", { params: { path: { item_id: itemId } } }),
    );
  }

  updateGuestSettings(itemId: number, change: GuestSettings): Promise<GuestSettingsRead> {
    return this.result(
      this.http.PATCH("/api/v1/rentals/items/{item_id}/guest", {
        params: { path: { item_id: itemId } },
        body: change,
      }),
    );
  }

  itemFaq(itemId: number): Promise<FaqRead[]> {
    return this.result(
      this.http.GET("/api/v1/rentals/items/{item_id}/faq", { params: { path: { item_id: itemId } } }),
    );
  }

  addFaq(itemId: number, question: string, answer: string): Promise<FaqRead> {
    return this.result(
      this.http.POST("/api/v1/rentals/items/{item_id}/faq", {
        params: { path: { item_id: itemId } },
        body: { question, answer },
      }),
    );
  }

  async deleteFaq(itemId: number, faqId: number): Promise<void> {
    await this.result(
      this.http.DELETE("/api/v1/rentals/items/{item_id}/faq/{faq_id}", {
        params: { path: { item_id: itemId, faq_id: faqId } },
      }),
    );
  }

  // --- the feed desk ------------------------------------------------------

  feedPosts(limit = 20): Promise<FeedPost[]> {
    return this.result(this.http.GET("/api/v1/feed/posts", { params: { query: { limit } } }));
  }

  rate(documentId: number, verdict: Verdict): Promise<unknown> {
    return this.result(
      this.http.POST("/api/v1/feed/ratings", { body: { document_id: documentId, verdict } }),
    );
  }

  // --- the market desk ----------------------------------------------------

  categories(): Promise<CategoryId[]> {
    return this.result(this.http.GET("/api/v1/listings/categories"));
  }

  createListing(body: ListingCreate): Promise<ListingRead> {
    return this.result(this.http.POST("/api/v1/listings", { body }));
  }

  myListings(status?: ListingStatus | null, cursor?: string | null): Promise<ListingPage> {
    return this.result(this.http.GET("/api/v1/listings/mine", { params: { query: { status, cursor } } }));
  }

  listing(id: number): Promise<ListingRead> {
    return this.result(
      this.http.GET("/api/v1/listings/{listing_id}", { params: { path: { listing_id: id } } }),
    );
  }

  updateListing(id: number, body: ListingUpdate): Promise<ListingRead> {
    return this.result(
      this.http.PATCH("/api/v1/listings/{listing_id}", { params: { path: { listing_id: id } }, body }),
    );
  }

  submitListing(id: number): Promise<ListingRead> {
    return this.result(
      this.http.POST("/api/v1/listings/{listing_id}/submit", { params: { path: { listing_id: id } } }),
    );
  }

  archiveListing(id: number): Promise<ListingRead> {
    return this.result(
      this.http.POST("/api/v1/listings/{listing_id}/archive", { params: { path: { listing_id: id } } }),
    );
  }

  photoTicket(id: number): Promise<UploadTicket> {
    return this.result(
      this.http.POST("/api/v1/listings/{listing_id}/photos", { params: { path: { listing_id: id } } }),
    );
  }

  completePhoto(id: number, photoId: number): Promise<PhotoRead> {
    return this.result(
      this.http.POST("/api/v1/listings/{listing_id}/photos/{photo_id}/complete", {
        params: { path: { listing_id: id, photo_id: photoId } },
      }),
    );
  }

  async deletePhoto(id: number, photoId: number): Promise<void> {
    await this.result(
      this.http.DELETE("/api/v1/listings/{listing_id}/photos/{photo_id}", {
        params: { path: { listing_id: id, photo_id: photoId } },
      }),
    );
  }

  /** The currency a new listing gets: the city's, else the seller's last, else their language's. */
  async suggestedCurrency(city?: string | null): Promise<Currency> {
    const query = city?.trim() ? { city: city.trim() } : {};
    const found = await this.result(
      this.http.GET("/api/v1/listings/suggested-currency", { params: { query } }),
    );
    return found.currency;
  }

  setAvailability(id: number, availability: Availability): Promise<ListingRead> {
    return this.result(
      this.http.POST("/api/v1/listings/{listing_id}/availability", {
        params: { path: { listing_id: id } },
        body: { availability },
      }),
    );
  }

  renewListing(id: number): Promise<ListingRead> {
    return this.result(
      this.http.POST("/api/v1/listings/{listing_id}/renew", { params: { path: { listing_id: id } } }),
    );
  }

  /** Start (or reopen) the caller's conversation with the seller: the bot carries it. */
  writeToSeller(id: number): Promise<InquiryRead> {
    return this.result(
      this.http.POST("/api/v1/listings/{listing_id}/inquiries", { params: { path: { listing_id: id } } }),
    );
  }

  reportListing(id: number, reason: ReportReason, comment = ""): Promise<ReportRead> {
    return this.result(
      this.http.POST("/api/v1/listings/{listing_id}/reports", {
        params: { path: { listing_id: id } },
        body: { reason, comment },
      }),
    );
  }

  search(filters: SearchFilters, cursor?: string | null, limit = 20): Promise<ListingPage> {
    const query = { ...withoutBlanks(filters), cursor, limit };
    return this.result(this.http.GET("/api/v1/listings", { params: { query } }));
  }

  moderationQueue(cursor?: string | null): Promise<ListingPage> {
    return this.result(this.http.GET("/api/v1/admin/moderation/queue", { params: { query: { cursor } } }));
  }

  /** Published listings with open reports, with the reports. */
  reportedListings(cursor?: string | null): Promise<ReportedPage> {
    return this.result(this.http.GET("/api/v1/admin/moderation/reports", { params: { query: { cursor } } }));
  }

  /** Nothing wrong with the listing: its open reports are closed, it stays published. */
  async dismissReports(id: number): Promise<void> {
    await this.result(
      this.http.POST("/api/v1/admin/listings/{listing_id}/reports/dismiss", {
        params: { path: { listing_id: id } },
      }),
    );
  }

  /** Approve the listing as the admin saw it: a 409 when the owner changed it since. */
  approve(listing: ListingRead): Promise<ListingRead> {
    return this.result(
      this.http.POST("/api/v1/admin/listings/{listing_id}/approve", {
        params: { path: { listing_id: listing.id } },
        body: { revision: listing.revision },
      }),
    );
  }

  /** Reject the listing as the admin saw it: a 409 when the owner changed it since. */
  reject(listing: ListingRead, reason: string): Promise<ListingRead> {
    return this.result(
      this.http.POST("/api/v1/admin/listings/{listing_id}/reject", {
        params: { path: { listing_id: listing.id } },
        body: { revision: listing.revision, reason },
      }),
    );
  }
}

/** The filters with blank strings dropped (the api refuses an empty city or q). */
export function withoutBlanks<T extends object>(filters: T): Partial<T> {
  const kept: Partial<T> = {};
  for (const [key, value] of Object.entries(filters) as [keyof T, unknown][]) {
    if (value === undefined || value === null) continue;
    if (typeof value === "string" && value.trim() === "") continue;
    kept[key] = (typeof value === "string" ? value.trim() : value) as T[keyof T];
  }
  return kept;
}

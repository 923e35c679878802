// The market desk's API models, mirrored from libs/contracts/concierge/contracts/market.py
// and identity.py. Keep the limits here in step with the contract.

export const LIMITS = {
  titleMin: 3,
  titleMax: 120,
  descriptionMax: 4000,
  cityMin: 2,
  cityMax: 64,
  priceMax: 1_000_000_000,
  priceDecimals: 2,
  reasonMin: 3,
  reasonMax: 500,
  maxPhotos: 10,
  maxPhotoBytes: 5 * 1024 * 1024,
} as const;

export const LISTING_STATUSES = ["draft", "pending", "approved", "rejected", "archived"] as const;
export type ListingStatus = (typeof LISTING_STATUSES)[number];

export const CATEGORY_IDS = [
  "electronics",
  "vehicles",
  "home",
  "clothing",
  "kids",
  "hobby",
  "services",
  "realty",
  "other",
] as const;
export type CategoryId = (typeof CATEGORY_IDS)[number];

export const CURRENCIES = ["RUB", "USD", "EUR"] as const;
export type Currency = (typeof CURRENCIES)[number];

export type Language = "ru" | "en";
export type UserRole = "user" | "admin";

export interface UserRead {
  id: number;
  telegram_id: number;
  username: string | null;
  first_name: string | null;
  last_name: string | null;
  language_code: string | null;
  language: Language | null;
  role: UserRole;
  status: string;
  created_at: string;
  last_seen_at: string;
  blocked_at?: string | null;
}

export interface AuthTokenRead {
  access_token: string;
  token_type: string;
  expires_in: number;
  user: UserRead;
}

export interface Category {
  id: string;
  title: Partial<Record<Language, string>>;
}

export interface PhotoRead {
  id: number;
  position: number;
  url: string | null;
  thumbnail_url: string | null;
  width: number | null;
  height: number | null;
  ready: boolean;
}

export interface ListingRead {
  id: number;
  title: string;
  description: string;
  category: string;
  /** A Decimal: pydantic sends it as a string ("1500.00"); numbers are accepted too. */
  price: string | number;
  currency: string;
  city: string;
  status: ListingStatus;
  rejection_reason: string | null;
  photos: PhotoRead[];
  created_at: string;
  updated_at: string;
  published_at: string | null;
  is_mine: boolean;
}

export interface ListingPage {
  items: ListingRead[];
  next_cursor: string | null;
}

export interface ListingCreate {
  title: string;
  description: string;
  category: string;
  /** Sent as a decimal string so no float rounding happens on the way. */
  price: string;
  currency: Currency;
  city: string;
}

export type ListingUpdate = Partial<ListingCreate>;

export interface UploadTicket {
  photo_id: number;
  url: string;
  fields: Record<string, string>;
  max_bytes: number;
  expires_at: string;
}

export interface SearchFilters {
  q?: string;
  category?: string;
  city?: string;
  price_min?: string;
  price_max?: string;
  currency?: string;
}

/** One entry of a 422's ``detail`` list (FastAPI / pydantic). */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

// The listing form's checks, with the contract's limits (limits.ts) and enums (types.ts),
// so the user hears about a problem before the round trip. The server checks again.

import type { MessageKey } from "./i18n";
import { LIMITS } from "./limits";
import {
  isCategory,
  isCurrency,
  type Language,
  type ListingCreate,
  type ListingRead,
  type ListingUpdate,
} from "./types";

export interface Problem {
  key: MessageKey;
  params?: Record<string, string | number>;
}

export interface ListingForm {
  title: string;
  description: string;
  category: string;
  price: string;
  currency: string;
  city: string;
  allowDirectContact: boolean;
}

export type FormErrors = Partial<Record<Exclude<keyof ListingForm, "allowDirectContact">, Problem>>;

export type Validated = { ok: true; value: ListingCreate } | { ok: false; errors: FormErrors };

/** Length as Python counts it (code points), not UTF-16 units. */
export function length(text: string): number {
  return [...text].length;
}

const SPACES = /[\s\u00a0\u202f']/g;

/** A price as the seller writes it in their language → "1500.5"; null when it is not a
 * plain non-negative number. Russian: spaces group the thousands, "," or "." starts the
 * cents ("12 500", "1 500,50"). English: "," groups the thousands ("12,345", "1,500.50");
 * a comma that does not group (the "99,90" of a European keyboard) starts the cents. */
export function normalizePrice(raw: string, language: Language = "ru"): string | null {
  let text = raw.replace(SPACES, "");
  if (language === "en" && /^\d{1,3}(,\d{3})+(\.\d*)?$/.test(text)) text = text.replace(/,/g, "");
  text = text.replace(",", ".");
  if (!/^\d+(\.\d*)?$/.test(text)) return null;
  const [whole = "0", fraction = ""] = text.split(".");
  const digits = whole.replace(/^0+(?=\d)/, "");
  const cents = fraction.replace(/0+$/, "");
  return cents ? `${digits}.${cents}` : digits;
}

export function validatePrice(raw: string, language: Language = "ru"): Problem | null {
  if (!raw.trim()) return { key: "err.required" };
  const price = normalizePrice(raw, language);
  if (price === null) return { key: "err.priceFormat" };
  const fraction = price.split(".")[1] ?? "";
  if (fraction.length > LIMITS.priceDecimals)
    return { key: "err.priceDecimals", params: { n: LIMITS.priceDecimals } };
  if (Number(price) > LIMITS.priceMax) return { key: "err.priceRange", params: { max: LIMITS.priceMax } };
  return null;
}

function between(text: string, min: number, max: number): Problem | null {
  const n = length(text);
  if (n === 0 && min > 0) return { key: "err.required" };
  if (n < min) return { key: "err.tooShort", params: { min } };
  if (n > max) return { key: "err.tooLong", params: { max } };
  return null;
}

export function validateListing(
  form: ListingForm,
  categories: readonly string[],
  language: Language = "ru",
): Validated {
  const errors: FormErrors = {};
  const title = form.title.trim();
  const description = form.description.trim();
  const city = form.city.trim();
  const titleProblem = between(title, LIMITS.titleMin, LIMITS.titleMax);
  if (titleProblem) errors.title = titleProblem;
  if (length(description) > LIMITS.descriptionMax) {
    errors.description = { key: "err.tooLong", params: { max: LIMITS.descriptionMax } };
  }
  const offered = !categories.length || categories.includes(form.category);
  const category = isCategory(form.category) && offered ? form.category : null;
  if (!form.category) errors.category = { key: "err.required" };
  else if (!category) errors.category = { key: "err.choice" };
  const priceProblem = validatePrice(form.price, language);
  if (priceProblem) errors.price = priceProblem;
  const currency = isCurrency(form.currency) ? form.currency : null;
  if (!currency) errors.currency = { key: "err.choice" };
  const cityProblem = between(city, LIMITS.cityMin, LIMITS.cityMax);
  if (cityProblem) errors.city = cityProblem;
  if (Object.keys(errors).length || !category || !currency) return { ok: false, errors };
  return {
    ok: true,
    value: {
      title,
      description,
      category,
      price: normalizePrice(form.price, language)!,
      currency,
      city,
      allow_direct_contact: form.allowDirectContact,
    },
  };
}

/** Only the fields that differ from the stored listing (ListingUpdate sends what changed). */
export function changedFields(value: ListingCreate, listing: ListingRead): ListingUpdate {
  const patch: ListingUpdate = {};
  if (value.title !== listing.title) patch.title = value.title;
  if (value.description !== listing.description) patch.description = value.description;
  if (value.category !== listing.category) patch.category = value.category;
  if (normalizePrice(String(value.price)) !== normalizePrice(listing.price)) patch.price = value.price;
  if (value.currency && value.currency !== listing.currency) patch.currency = value.currency;
  if (value.city !== listing.city) patch.city = value.city;
  if (value.allow_direct_contact !== listing.allow_direct_contact)
    patch.allow_direct_contact = value.allow_direct_contact;
  return patch;
}

export interface FileLike {
  type: string;
  size: number;
}

/** Whether one more photo may be uploaded: an image, ≤ 5 MB, and room left. */
export function checkPhoto(
  file: FileLike,
  photosSoFar: number,
  maxBytes: number = LIMITS.maxPhotoBytes,
): Problem | null {
  if (photosSoFar >= LIMITS.maxPhotos) return { key: "err.tooManyPhotos", params: { max: LIMITS.maxPhotos } };
  if (!file.type.startsWith("image/")) return { key: "err.notImage" };
  if (file.size === 0) return { key: "err.emptyFile" };
  if (file.size > maxBytes)
    return { key: "err.photoTooLarge", params: { mb: Math.floor(maxBytes / (1024 * 1024)) } };
  return null;
}

export function validateReason(reason: string): Problem | null {
  return between(reason.trim(), LIMITS.reasonMin, LIMITS.reasonMax);
}

/** Search filters: prices must be numbers and min ≤ max. */
export function validatePriceRange(min: string, max: string, language: Language = "ru"): Problem | null {
  for (const raw of [min, max]) {
    if (raw.trim() && validatePrice(raw, language)) return { key: "err.priceFormat" };
  }
  const [low, high] = [normalizePrice(min, language), normalizePrice(max, language)];
  if (min.trim() && max.trim() && Number(low) > Number(high)) {
    return { key: "err.priceOrder" };
  }
  return null;
}

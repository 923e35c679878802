import { locale } from "./i18n";
import type { Category, Language } from "./types";

export function formatPrice(price: string | number, currency: string, language: Language): string {
  const amount = Number(price);
  if (!Number.isFinite(amount)) return `${price} ${currency}`;
  try {
    return new Intl.NumberFormat(locale(language), {
      style: "currency",
      currency,
      currencyDisplay: "narrowSymbol",
      minimumFractionDigits: Number.isInteger(amount) ? 0 : 2,
      maximumFractionDigits: 2,
    }).format(amount);
  } catch {
    return `${amount} ${currency}`;
  }
}

export function formatDate(iso: string | null | undefined, language: Language): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(locale(language), { dateStyle: "medium" }).format(date);
}

/** A category's title in the language, else the other one, else its id. */
export function categoryTitle(
  id: string,
  categories: readonly Category[],
  language: Language,
  fallback: (id: string) => string,
): string {
  const category = categories.find((c) => c.id === id);
  return category?.title[language] ?? fallback(id);
}

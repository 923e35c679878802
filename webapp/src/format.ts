// Prices and dates as the reader's language writes them.
//
// formatPrice is the Mini App's copy of libs/contracts/concierge/contracts/prices.py (the
// bot's and the api's): Russian puts the sign after the amount and groups thousands with
// no-break spaces ("12 500 ₽", "60 €"), English puts it before ("₽12,500", "€180");
// cents only when there are any. webapp/tests/fixtures/prices.json is the table both
// test suites check their formatter against, so the two cannot drift apart.

import { locale } from "./i18n";
import type { Language } from "./types";

const NO_BREAK_SPACE = "\u00a0";
const SYMBOLS: Record<string, string> = { RUB: "₽", EUR: "€", USD: "$" };

/** "12500.50" → ["12500", "50"]; "12500.00" → ["12500", ""]; null when not a plain number. */
function splitAmount(amount: string | number): [string, string] | null {
  const text = typeof amount === "number" ? amount.toFixed(2) : amount.trim();
  const found = /^(\d+)(?:\.(\d*))?$/.exec(text);
  if (!found) return null;
  const whole = found[1]!.replace(/^0+(?=\d)/, "");
  const fraction = (found[2] ?? "").padEnd(2, "0");
  if (fraction.length > 2) {
    // Not a price the api stores (two decimals at most): round it like a number.
    const rounded = Number(`${whole}.${fraction}`).toFixed(2).split(".");
    return splitAmount(`${rounded[0]}.${rounded[1]}`);
  }
  return [whole, /^0*$/.test(fraction) ? "" : fraction];
}

function grouped(whole: string, separator: string): string {
  return whole.replace(/\B(?=(\d{3})+(?!\d))/g, separator);
}

/** "12 500" / "12,500" ("99,90" / "99.90"), without a sign; ``group`` separates the
 * thousands (a no-break space in Russian by default; a plain space suits a form). */
export function formatAmount(amount: string | number, language: Language, group?: string): string {
  const parts = splitAmount(amount);
  if (!parts) return String(amount);
  const [whole, cents] = parts;
  if (language === "ru") {
    const digits = grouped(whole, group ?? NO_BREAK_SPACE);
    return cents ? `${digits},${cents}` : digits;
  }
  const digits = grouped(whole, group ?? ",");
  return cents ? `${digits}.${cents}` : digits;
}

/** The price with its currency's sign, as the reader's language writes it. */
export function formatPrice(price: string | number, currency: string, language: Language): string {
  if (!splitAmount(price)) return `${price} ${currency}`;
  const digits = formatAmount(price, language);
  const symbol = SYMBOLS[currency];
  if (language === "ru") return `${digits}${NO_BREAK_SPACE}${symbol ?? currency}`;
  return symbol ? `${symbol}${digits}` : `${currency}${NO_BREAK_SPACE}${digits}`;
}

/** The amount as the form shows it back to the seller: "12 500" in Russian, "12,500" in English. */
export function formAmount(price: string | number, language: Language): string {
  return formatAmount(price, language, language === "ru" ? " " : undefined);
}

export function formatDate(iso: string | null | undefined, language: Language): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(locale(language), { dateStyle: "medium" }).format(date);
}

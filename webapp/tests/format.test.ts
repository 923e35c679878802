// @vitest-environment node
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formAmount, formatPrice } from "../src/format";
import type { Language } from "../src/types";
import { normalizePrice } from "../src/validation";

interface PriceCase {
  amount: string;
  currency: string;
  language: Language;
  price: string;
  form: string;
}

// The table tests/webapp/test_prices.py checks libs/contracts/.../prices.py against.
const TABLE = JSON.parse(readFileSync(new URL("./fixtures/prices.json", import.meta.url), "utf8")) as {
  cases: PriceCase[];
};

describe("prices, as the Python formatter writes them", () => {
  it.each(TABLE.cases)("$amount $currency in $language", (c) => {
    expect(formatPrice(c.amount, c.currency, c.language)).toBe(c.price);
    expect(formAmount(c.amount, c.language)).toBe(c.form);
  });

  it("reads back what the form shows, in each language", () => {
    for (const c of TABLE.cases) {
      expect(Number(normalizePrice(c.form, c.language))).toBe(Number(c.amount));
    }
  });

  it("writes the api's two-decimal strings and numbers alike", () => {
    expect(formatPrice("12500.00", "RUB", "ru")).toBe("12\u00a0500\u00a0₽");
    expect(formatPrice(180, "EUR", "en")).toBe("€180");
    expect(formatPrice("n/a", "RUB", "en")).toBe("n/a RUB");
  });
});

describe("prices as sellers type them", () => {
  it("takes English thousands separators and Russian spaces", () => {
    expect(normalizePrice("12,345", "en")).toBe("12345");
    expect(normalizePrice("1,234,567.50", "en")).toBe("1234567.5");
    expect(normalizePrice("99,90", "en")).toBe("99.9");
    expect(normalizePrice("12 500", "ru")).toBe("12500");
    expect(normalizePrice("12\u00a0500,50", "ru")).toBe("12500.5");
    // In Russian the comma starts the cents: "12,345" has three of them.
    expect(normalizePrice("12,345", "ru")).toBe("12.345");
    expect(normalizePrice("1,23,4", "en")).toBeNull();
  });
});

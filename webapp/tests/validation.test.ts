import { describe, expect, it } from "vitest";
import { LIMITS } from "../src/limits";
import { CATEGORY_IDS } from "../src/types";
import {
  changedFields,
  checkPhoto,
  normalizePrice,
  validateListing,
  validatePrice,
  validatePriceRange,
  validateReason,
  type ListingForm,
} from "../src/validation";
import { listing } from "./helpers";

const good: ListingForm = {
  title: "Red bicycle",
  description: "Barely used",
  category: "hobby",
  price: "1500",
  currency: "RUB",
  city: "Kazan",
  allowDirectContact: false,
};

const check = (patch: Partial<ListingForm>) => validateListing({ ...good, ...patch }, CATEGORY_IDS);
const errorOf = (patch: Partial<ListingForm>, field: Exclude<keyof ListingForm, "allowDirectContact">) => {
  const result = check(patch);
  return result.ok ? undefined : result.errors[field]?.key;
};

describe("validateListing", () => {
  it("accepts a valid listing and returns the trimmed body to send", () => {
    const result = check({ title: "  Red bicycle  ", city: " Kazan ", price: "1 500,50" });
    expect(result).toEqual({
      ok: true,
      value: {
        title: "Red bicycle",
        description: "Barely used",
        category: "hobby",
        price: "1500.5",
        currency: "RUB",
        city: "Kazan",
        allow_direct_contact: false,
      },
    });
  });

  it("keeps the title within 3–120 characters after trimming", () => {
    expect(errorOf({ title: "" }, "title")).toBe("err.required");
    expect(errorOf({ title: "  ab  " }, "title")).toBe("err.tooShort");
    expect(errorOf({ title: "abc" }, "title")).toBeUndefined();
    expect(errorOf({ title: "x".repeat(LIMITS.titleMax) }, "title")).toBeUndefined();
    expect(errorOf({ title: "x".repeat(LIMITS.titleMax + 1) }, "title")).toBe("err.tooLong");
  });

  it("counts characters as the server does (code points, not UTF-16 units)", () => {
    expect(errorOf({ title: "🚲".repeat(LIMITS.titleMax) }, "title")).toBeUndefined();
    expect(errorOf({ title: "🚲🚲" }, "title")).toBe("err.tooShort");
  });

  it("allows an empty description up to 4000 characters", () => {
    expect(errorOf({ description: "" }, "description")).toBeUndefined();
    expect(errorOf({ description: "d".repeat(4000) }, "description")).toBeUndefined();
    expect(errorOf({ description: "d".repeat(4001) }, "description")).toBe("err.tooLong");
  });

  it("keeps the city within 2–64 characters", () => {
    expect(errorOf({ city: "K" }, "city")).toBe("err.tooShort");
    expect(errorOf({ city: "Ki" }, "city")).toBeUndefined();
    expect(errorOf({ city: "c".repeat(64) }, "city")).toBeUndefined();
    expect(errorOf({ city: "c".repeat(65) }, "city")).toBe("err.tooLong");
  });

  it("wants a known category and currency", () => {
    expect(errorOf({ category: "" }, "category")).toBe("err.required");
    expect(errorOf({ category: "weapons" }, "category")).toBe("err.choice");
    expect(errorOf({ currency: "GBP" }, "currency")).toBe("err.choice");
    // Without the server's list, the contract's categories are the choice.
    expect(validateListing({ ...good, category: "realty" }, []).ok).toBe(true);
    expect(validateListing({ ...good, category: "anything" }, []).ok).toBe(false);
    // With it, only what the server offers.
    expect(validateListing({ ...good, category: "realty" }, ["hobby"]).ok).toBe(false);
  });

  it("reports every bad field at once", () => {
    const result = validateListing(
      {
        title: "",
        description: "",
        category: "",
        price: "x",
        currency: "RUB",
        city: "",
        allowDirectContact: false,
      },
      CATEGORY_IDS,
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(Object.keys(result.errors).sort()).toEqual(["category", "city", "price", "title"]);
  });
});

describe("prices", () => {
  it("accepts 0 to 1e9 with up to 2 decimals", () => {
    for (const price of [
      "0",
      "0.5",
      "1500",
      "1500.50",
      "999999999.99",
      "1000000000",
      "1000000000.00",
      "1 000 000",
      "12,5",
    ]) {
      expect(validatePrice(price), price).toBeNull();
    }
  });

  it("refuses negatives, junk, too many decimals and more than 1e9", () => {
    expect(validatePrice("")?.key).toBe("err.required");
    expect(validatePrice("-1")?.key).toBe("err.priceFormat");
    expect(validatePrice("abc")?.key).toBe("err.priceFormat");
    expect(validatePrice("1e5")?.key).toBe("err.priceFormat");
    expect(validatePrice("12.345")?.key).toBe("err.priceDecimals");
    expect(validatePrice("1000000000.01")?.key).toBe("err.priceRange");
    expect(validatePrice("99999999999")?.key).toBe("err.priceRange");
  });

  it("normalises what people type into a decimal string", () => {
    expect(normalizePrice("1 500,50")).toBe("1500.5");
    expect(normalizePrice("007.10")).toBe("7.1");
    expect(normalizePrice("12.")).toBe("12");
    expect(normalizePrice("0")).toBe("0");
    expect(normalizePrice("1.2.3")).toBeNull();
  });

  it("checks a search price range", () => {
    expect(validatePriceRange("", "")).toBeNull();
    expect(validatePriceRange("10", "")).toBeNull();
    expect(validatePriceRange("100", "10")?.key).toBe("err.priceOrder");
    expect(validatePriceRange("x", "10")?.key).toBe("err.priceFormat");
  });
});

describe("photos", () => {
  const MB = 1024 * 1024;

  it("accepts images up to 5 MB while fewer than 10 photos exist", () => {
    expect(checkPhoto({ type: "image/jpeg", size: 5 * MB }, 9)).toBeNull();
    expect(checkPhoto({ type: "image/png", size: 1 }, 0)).toBeNull();
  });

  it("refuses non-images, empty and oversized files, and an 11th photo", () => {
    expect(checkPhoto({ type: "application/pdf", size: 100 }, 0)?.key).toBe("err.notImage");
    expect(checkPhoto({ type: "", size: 100 }, 0)?.key).toBe("err.notImage");
    expect(checkPhoto({ type: "image/jpeg", size: 0 }, 0)?.key).toBe("err.emptyFile");
    expect(checkPhoto({ type: "image/jpeg", size: 5 * MB + 1 }, 0)).toEqual({
      key: "err.photoTooLarge",
      params: { mb: 5 },
    });
    expect(checkPhoto({ type: "image/jpeg", size: 100 }, LIMITS.maxPhotos)?.key).toBe("err.tooManyPhotos");
  });

  it("honours a smaller max_bytes from the upload ticket", () => {
    expect(checkPhoto({ type: "image/jpeg", size: 2 * MB }, 0, MB)?.key).toBe("err.photoTooLarge");
  });
});

describe("other fields", () => {
  it("wants a rejection reason of 3–500 characters", () => {
    expect(validateReason("  ")?.key).toBe("err.required");
    expect(validateReason("no")?.key).toBe("err.tooShort");
    expect(validateReason("Blurry")).toBeNull();
    expect(validateReason("r".repeat(501))?.key).toBe("err.tooLong");
  });

  it("sends only the fields that changed", () => {
    const stored = listing({
      title: "Bike",
      price: "1500.00",
      city: "Kazan",
      description: "A red bicycle",
      category: "hobby",
      currency: "RUB",
    });
    const same = {
      title: "Bike",
      description: "A red bicycle",
      category: "hobby" as const,
      price: "1500",
      currency: "RUB" as const,
      city: "Kazan",
      allow_direct_contact: false,
    };
    expect(changedFields(same, stored)).toEqual({});
    expect(changedFields({ ...same, price: "1500.5", city: "Moscow" }, stored)).toEqual({
      price: "1500.5",
      city: "Moscow",
    });
  });
});

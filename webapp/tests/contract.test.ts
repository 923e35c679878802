// @vitest-environment node
// The Mini App against the api's contract (webapp/openapi.json, `make webapp-schema`):
// the limits the forms check and the enums the pages offer are the schema's own.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { translator, type MessageKey } from "../src/i18n";
import { LIMITS } from "../src/limits";
import { CATEGORY_IDS, CURRENCIES, LISTING_STATUSES } from "../src/types";

interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  enum?: string[];
  [keyword: string]: unknown;
}

const openapi = JSON.parse(readFileSync(new URL("../openapi.json", import.meta.url), "utf8")) as {
  components: { schemas: Record<string, JsonSchema> };
};

/** "Model.field.keyword": the keyword on the field, or on the one anyOf branch that has it. */
function schemaValue(where: string): unknown {
  const [model, field, keyword] = where.split(".") as [string, string, string];
  const property = openapi.components.schemas[model]?.properties?.[field];
  if (!property) throw new Error(`${model}.${field} is not in openapi.json`);
  const carriers = [property, ...(property.anyOf ?? [])].filter((s) => keyword in s);
  if (carriers.length !== 1) throw new Error(`${where}: ${carriers.length} places state it`);
  return carriers[0]![keyword];
}

// Where each limit is stated in the schema; null for rules the schema does not carry.
const WHERE: Record<keyof typeof LIMITS, string | null> = {
  titleMin: "ListingCreate.title.minLength",
  titleMax: "ListingCreate.title.maxLength",
  descriptionMax: "ListingCreate.description.maxLength",
  cityMin: "ListingCreate.city.minLength",
  cityMax: "ListingCreate.city.maxLength",
  priceMax: "ListingCreate.price.maximum",
  reasonMin: "ModerationDecision.reason.minLength",
  reasonMax: "ModerationDecision.reason.maxLength",
  maxPhotoBytes: "UploadTicket.max_bytes.default",
  priceDecimals: null,
  maxPhotos: null,
};

describe("the limits are the schema's", () => {
  for (const [name, where] of Object.entries(WHERE)) {
    if (!where) continue;
    it(`${name} is ${where}`, () => {
      expect(LIMITS[name as keyof typeof LIMITS]).toBe(schemaValue(where));
    });
  }

  it("updates and the edit form share the create form's limits", () => {
    for (const field of ["title", "description", "city"]) {
      for (const keyword of ["minLength", "maxLength"]) {
        const create = openapi.components.schemas.ListingCreate!.properties![field]!;
        if (!(keyword in create)) continue;
        expect(schemaValue(`ListingUpdate.${field}.${keyword}`)).toBe(create[keyword]);
      }
    }
  });

  it("reads a limit from the branch of an anyOf that states it", () => {
    expect(schemaValue("ListingCreate.price.minimum")).toBe(0);
    expect(() => schemaValue("ListingCreate.nothing.maxLength")).toThrow(/not in openapi.json/);
  });
});

describe("the enums are the schema's", () => {
  const values = (model: string) => openapi.components.schemas[model]!.enum;

  it("offers the schema's categories, currencies and statuses, in its order", () => {
    expect(CATEGORY_IDS).toEqual(values("Category"));
    expect(CURRENCIES).toEqual(values("Currency"));
    expect(LISTING_STATUSES).toEqual(values("ListingStatus"));
  });

  it("has a title for every category and a label for every status, in both languages", () => {
    const keys = [
      ...CATEGORY_IDS.map((id) => `category.${id}`),
      ...LISTING_STATUSES.map((s) => `status.${s}`),
    ];
    for (const t of [translator("en"), translator("ru")]) {
      for (const key of keys) expect(t(key as MessageKey), key).not.toBe(key);
    }
  });
});

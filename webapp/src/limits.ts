// The limits the forms check before a round trip (the server checks again).
//
// Most are constraints in the api's OpenAPI document: tests/contract.test.ts reads each
// one back from webapp/openapi.json, so a limit changed in the api fails that test once
// `make webapp-schema` has refreshed the document. priceDecimals and maxPhotos are rules
// the server enforces without stating them in the schema.

export const LIMITS = {
  titleMin: 3,
  titleMax: 120,
  descriptionMax: 4000,
  cityMin: 2,
  cityMax: 64,
  priceMax: 1_000_000_000,
  reasonMin: 3,
  reasonMax: 500,
  maxPhotoBytes: 5 * 1024 * 1024,
  /** At most two decimals (the api's Decimal(decimal_places=2)). */
  priceDecimals: 2,
  /** Photos per listing (the api's MAX_PHOTOS; one more is a 409). */
  maxPhotos: 10,
} as const;

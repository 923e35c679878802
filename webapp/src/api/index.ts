// The api's client and its errors; the generated contract is in schema.ts.

export * from "./client";

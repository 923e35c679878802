// The market desk's API models, named. Every one comes from the api's OpenAPI document
// (webapp/openapi.json → src/api/schema.ts, `make webapp-schema`); nothing is copied by
// hand. Limits the form checks are in limits.ts.

import {
  availabilityValues,
  categoryValues,
  currencyValues,
  listingStatusValues,
  reportReasonValues,
  type components,
  type paths,
} from "./api/schema";

type Schemas = components["schemas"];

export type UserRead = Schemas["UserRead"];
export type AuthTokenRead = Schemas["AuthTokenRead"];
export type Language = Schemas["Language"];
export type ListingRead = Schemas["ListingRead"];
export type ListingPage = Schemas["ListingPage"];
export type ListingCreate = Schemas["ListingCreate"];
export type ListingUpdate = Schemas["ListingUpdate"];
export type PhotoRead = Schemas["PhotoRead"];
export type UploadTicket = Schemas["UploadTicket"];
export type ListingStatus = Schemas["ListingStatus"];
export type CategoryId = Schemas["Category"];
export type Currency = Schemas["Currency"];
export type Availability = Schemas["Availability"];
export type InquiryRead = Schemas["InquiryRead"];
export type ReportReason = Schemas["ReportReason"];
export type ReportRead = Schemas["ReportRead"];
export type ReportedPage = Schemas["ReportedPage"];
export type ReportedListing = Schemas["ReportedListing"];
export type WatchRead = Schemas["WatchRead"];
export type FeedPost = Schemas["FeedPost"];
export type RentalsAccount = Schemas["AccountRead"];
export type RentalsItem = Schemas["ItemRead"];
export type CalendarMonth = Schemas["CalendarMonth"];
export type CalendarDay = Schemas["CalendarDay"];
export type CalendarChange = Schemas["CalendarChange"];
export type CalendarPreview = Schemas["CalendarPreview"];
export type CalendarWritten = Schemas["CalendarWritten"];
export type GuestSettings = Schemas["GuestSettings"];
export type GuestSettingsRead = Schemas["GuestSettingsRead"];
export type FaqRead = Schemas["FaqRead"];
export type GuestMode = GuestSettingsRead["mode"];
export type Verdict = Schemas["RatingCreate"]["verdict"];
/** One entry of a 422's ``detail`` list. */
export type ValidationIssue = Schemas["ValidationIssue"];
/** Every error body of the api. */
export type ErrorBody = Schemas["ErrorBody"];

/** The filters of GET /api/v1/listings (search): its query without the paging. */
export type SearchFilters = Omit<
  NonNullable<paths["/api/v1/listings"]["get"]["parameters"]["query"]>,
  "cursor" | "limit"
>;

export const LISTING_STATUSES: readonly ListingStatus[] = listingStatusValues;
export const CATEGORY_IDS: readonly CategoryId[] = categoryValues;
export const CURRENCIES: readonly Currency[] = currencyValues;
export const AVAILABILITIES: readonly Availability[] = availabilityValues;
export const REPORT_REASONS: readonly ReportReason[] = reportReasonValues;

export function isCategory(value: string): value is CategoryId {
  return (CATEGORY_IDS as readonly string[]).includes(value);
}

export function isCurrency(value: string): value is Currency {
  return (CURRENCIES as readonly string[]).includes(value);
}

export function isListingStatus(value: string): value is ListingStatus {
  return (LISTING_STATUSES as readonly string[]).includes(value);
}

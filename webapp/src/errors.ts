// What to tell the user about a failure, in their language: the api's error `code` (with
// its `params`) picks the text; the api's English `detail` is never shown.

import { ApiError } from "./api";
import { errorCodeValues, photoFormatValues } from "./api/schema";
import { isMessageKey, listText, type Translate } from "./i18n";
import { formatAmount } from "./format";
import { isListingStatus, type Language } from "./types";
import { UploadError } from "./upload";

export type ErrorCode = (typeof errorCodeValues)[number];
export type ErrorParams = Record<string, string | number>;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && (errorCodeValues as readonly string[]).includes(value);
}

/** The photo formats the api takes, as a sentence lists them ("JPEG, PNG, WebP or GIF"). */
export function photoFormats(t: Translate): string {
  return listText(photoFormatValues, t);
}

/** The text of an error code; null when there is none for it. Numbers are written as
 * the language writes them (40 000 000 / 40,000,000). */
export function codeText(
  code: string | null,
  params: ErrorParams,
  t: Translate,
  language: Language = "en",
): string | null {
  const key = `code.${code ?? ""}`;
  if (!code || !isMessageKey(key)) return null;
  const shown: ErrorParams = {};
  for (const [name, value] of Object.entries(params)) {
    shown[name] = typeof value === "number" ? formatAmount(value, language) : value;
  }
  shown.formats = photoFormats(t);
  const status = params.status;
  if (typeof status === "string" && isListingStatus(status)) shown.status = t(`status.${status}`);
  return t(key, shown);
}

export function errorText(error: unknown, t: Translate, language: Language = "en"): string {
  if (error instanceof ApiError) {
    const coded = codeText(error.code, error.params, t, language);
    if (coded) return coded;
    switch (error.kind) {
      case "rate_limited":
        return t("common.rateLimited", { s: error.retryAfter ?? 5 });
      case "network":
        return t("common.network");
      case "auth":
        return t("app.sessionExpired");
      default:
        return statusText(error.status, t);
    }
  }
  if (error instanceof UploadError) {
    const coded = codeText(error.code, error.params, t, language);
    if (coded) return coded;
    if (error.reason !== "http") return t(`upload.${error.reason}`);
    return t("upload.failed", { status: error.status });
  }
  if (error instanceof LocalError) return error.text;
  return t("common.failed");
}

function statusText(status: number, t: Translate): string {
  if (status === 404) return t("common.notFound");
  if (status === 403) return t("common.forbidden");
  if (status === 409) return t("common.conflict");
  if (status === 400 || status === 413 || status === 422) return t("common.invalid");
  if (status >= 500) return t("common.serverError");
  return t("common.failed");
}

/** A failure the app found itself, already in the user's language. */
export class LocalError extends Error {
  constructor(readonly text: string) {
    super(text);
    this.name = "LocalError";
  }
}

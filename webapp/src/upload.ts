// Photo uploads: a multipart POST of the ticket's fields plus the file (last, as S3's
// POST policy wants) to the ticket's URL, with progress from XMLHttpRequest's upload
// events. The URL is presigned (MinIO) or a signed api URL (local disk): no
// Authorization header is sent, and no custom header, so no CORS preflight is needed.

import { errorCodeOf } from "./api/client";
import type { UploadTicket } from "./types";

export type UploadFailure = "http" | "network" | "timeout" | "cancelled";

export class UploadError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: UploadFailure = "http",
    /** The api's error code (local disk) or S3's, as the api's code; null when unknown. */
    readonly code: string | null = null,
    readonly params: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = "UploadError";
  }
}

export interface UploadOptions {
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
  /** XMLHttpRequest by default; tests pass a stand-in. */
  createXhr?: () => XMLHttpRequest;
  timeoutMs?: number;
}

export function uploadFile(
  ticket: UploadTicket,
  file: Blob & { name?: string },
  options: UploadOptions = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = options.createXhr ? options.createXhr() : new XMLHttpRequest();
    const form = new FormData();
    for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
    form.append("file", file, file.name ?? "photo");
    xhr.open("POST", ticket.url);
    xhr.timeout = options.timeoutMs ?? 120_000;
    xhr.upload.onprogress = (event: ProgressEvent) => {
      if (event.lengthComputable && event.total > 0)
        options.onProgress?.(Math.min(1, event.loaded / event.total));
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        options.onProgress?.(1);
        resolve();
      } else {
        const { code, params } = uploadErrorCode(xhr.status, xhr.responseText, ticket.max_bytes);
        const message = uploadErrorMessage(xhr.status, xhr.responseText);
        reject(new UploadError(xhr.status, message, "http", code, params));
      }
    };
    xhr.onerror = () => reject(new UploadError(0, "Network error during the upload", "network"));
    xhr.ontimeout = () => reject(new UploadError(0, "The upload timed out", "timeout"));
    xhr.onabort = () => reject(new UploadError(0, "The upload was cancelled", "cancelled"));
    options.signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

const S3_MESSAGES: Record<string, string> = {
  EntityTooLarge: "The photo is too large",
  AccessDenied: "The upload link was refused or has expired",
  ExpiredToken: "The upload link has expired",
};

/** S3's error codes as the api's. */
const S3_CODES: Record<string, string> = {
  EntityTooLarge: "photo_too_large",
  AccessDenied: "upload_link_invalid",
  ExpiredToken: "upload_link_invalid",
};
const MB = 1024 * 1024;

/** The error's code: the api's JSON ``code`` (local disk), else S3's XML one. */
export function uploadErrorCode(
  status: number,
  body: string,
  maxBytes = 5 * MB,
): { code: string | null; params: Record<string, string | number> } {
  const text = body ?? "";
  try {
    const coded = errorCodeOf(JSON.parse(text));
    if (coded.code) return coded;
  } catch {
    // not JSON: maybe S3's XML
  }
  const s3 = S3_CODES[/<Code>([^<]{1,64})<\/Code>/.exec(text)?.[1] ?? ""];
  const code = s3 ?? (status === 413 ? "photo_too_large" : null);
  return { code, params: code === "photo_too_large" ? { mb: Math.floor(maxBytes / MB) } : {} };
}

/** A readable message from the api's JSON error or S3's XML error. */
export function uploadErrorMessage(status: number, body: string): string {
  const text = body ?? "";
  try {
    const json = JSON.parse(text) as { detail?: unknown };
    if (typeof json.detail === "string" && json.detail) return json.detail;
    if (Array.isArray(json.detail) && typeof json.detail[0]?.msg === "string") return json.detail[0].msg;
  } catch {
    // not JSON: maybe S3's XML
  }
  const code = /<Code>([^<]{1,64})<\/Code>/.exec(text)?.[1];
  if (code && S3_MESSAGES[code]) return S3_MESSAGES[code];
  const message = /<Message>([^<]{1,300})<\/Message>/.exec(text)?.[1];
  if (message) return message;
  if (status === 413) return "The photo is too large";
  return `The upload failed (HTTP ${status})`;
}

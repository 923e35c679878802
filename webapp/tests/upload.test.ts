import { describe, expect, it, vi } from "vitest";
import { uploadErrorMessage, uploadFile, UploadError } from "../src/upload";
import type { UploadTicket } from "../src/types";

const ticket: UploadTicket = {
  photo_id: 9,
  url: "http://minio.local/concierge",
  fields: { key: "listings/7/9.jpg", policy: "p0l1cy", "x-amz-signature": "s1g" },
  max_bytes: 5 * 1024 * 1024,
  expires_at: "2030-01-01T00:00:00Z",
};

/** Enough of XMLHttpRequest for the uploader; the test drives its events. */
class FakeXhr {
  method = "";
  url = "";
  body: FormData | null = null;
  headers: Record<string, string> = {};
  status = 0;
  responseText = "";
  timeout = 0;
  upload: { onprogress: ((event: ProgressEvent) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  ontimeout: (() => void) | null = null;
  onabort: (() => void) | null = null;
  aborted = false;
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  send(body: FormData) {
    this.body = body;
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  progress(loaded: number, total: number) {
    this.upload.onprogress?.({ lengthComputable: true, loaded, total } as ProgressEvent);
  }
  finish(status: number, responseText = "") {
    this.status = status;
    this.responseText = responseText;
    this.onload?.();
  }
}

function start(options: { signal?: AbortSignal } = {}) {
  const xhr = new FakeXhr();
  const onProgress = vi.fn();
  const file = new File(["\x89PNG data"], "bike.png", { type: "image/png" });
  const done = uploadFile(ticket, file, {
    onProgress,
    createXhr: () => xhr as unknown as XMLHttpRequest,
    ...options,
  });
  return { xhr, onProgress, done, file };
}

describe("uploadFile", () => {
  it("POSTs the ticket's fields, then the file last, with no custom headers", async () => {
    const { xhr, done, file } = start();
    expect(xhr.method).toBe("POST");
    expect(xhr.url).toBe(ticket.url);
    expect(xhr.headers).toEqual({});
    const entries = [...xhr.body!.entries()];
    expect(entries.map(([name]) => name)).toEqual(["key", "policy", "x-amz-signature", "file"]);
    expect(entries[0]![1]).toBe("listings/7/9.jpg");
    expect((entries[3]![1] as File).name).toBe(file.name);
    xhr.finish(204);
    await expect(done).resolves.toBeUndefined();
  });

  it("reports progress from upload events", async () => {
    const { xhr, onProgress, done } = start();
    xhr.progress(50, 200);
    xhr.progress(200, 200);
    xhr.finish(201);
    await done;
    expect(onProgress.mock.calls.map(([f]) => f)).toEqual([0.25, 1, 1]);
  });

  it("rejects with the api's message", async () => {
    const { xhr, done } = start();
    xhr.finish(400, JSON.stringify({ detail: "The file is not an image", status_code: 400 }));
    await expect(done).rejects.toEqual(new UploadError(400, "The file is not an image"));
  });

  it("rejects with a readable message for S3's XML errors", async () => {
    const { xhr, done } = start();
    xhr.finish(
      400,
      "<?xml version='1.0'?><Error><Code>EntityTooLarge</Code><Message>Your proposed upload exceeds the maximum allowed size</Message></Error>",
    );
    await expect(done).rejects.toMatchObject({ status: 400, message: "The photo is too large" });
  });

  it("rejects on network errors and when aborted", async () => {
    const first = start();
    first.xhr.onerror?.();
    await expect(first.done).rejects.toMatchObject({ status: 0 });
    const controller = new AbortController();
    const second = start({ signal: controller.signal });
    controller.abort();
    expect(second.xhr.aborted).toBe(true);
    await expect(second.done).rejects.toBeInstanceOf(UploadError);
  });

  it("falls back to generic messages", () => {
    expect(uploadErrorMessage(413, "")).toBe("The photo is too large");
    expect(uploadErrorMessage(500, "oops")).toBe("The upload failed (HTTP 500)");
    expect(
      uploadErrorMessage(403, "<Error><Code>Other</Code><Message>Policy expired</Message></Error>"),
    ).toBe("Policy expired");
  });
});

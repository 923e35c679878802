// A listing's photos on the edit page: the ones it has (with delete) and uploads in
// progress. One upload at a time: ticket → multipart POST with progress → complete.

import type { PageContext } from "../app";
import { h, mount } from "../dom";
import { LIMITS } from "../limits";
import type { ListingRead, PhotoRead } from "../types";
import { LocalError, photoFormats } from "../errors";
import { photoImage } from "../ui";
import { checkPhoto, type Problem } from "../validation";

export interface PhotoManager {
  element: HTMLElement;
  /** Uploads queued or running. */
  readonly busy: boolean;
  readonly photos: readonly PhotoRead[];
}

interface Upload {
  file: File;
  row: HTMLElement;
  progress: HTMLProgressElement;
  status: HTMLElement;
  preview: string | null;
}

const POLL_MS = 3000;
const POLL_LIMIT = 20;

export function photoManager(
  ctx: PageContext,
  listing: ListingRead,
  onBusy: (busy: boolean) => void,
): PhotoManager {
  const { app, t, signal } = ctx;
  let photos: PhotoRead[] = [...listing.photos].sort((a, b) => a.position - b.position);
  const queue: Upload[] = [];
  let running = false;
  let polls = 0;

  const heading = h("h2", { class: "section-title" });
  const grid = h("div", { class: "photo-grid" });
  const uploads = h("div", { class: "upload-list" });
  const input = h("input", {
    type: "file",
    accept: "image/*",
    multiple: true,
    class: "visually-hidden",
    id: "photo-input",
  });
  const addButton = h("label", {
    class: "button secondary add-photos",
    for: "photo-input",
    text: t("form.addPhotos"),
  });
  const hint = h("p", {
    class: "field-hint",
    text: t("form.photosHint", {
      formats: photoFormats(t),
      mb: LIMITS.maxPhotoBytes / (1024 * 1024),
      max: LIMITS.maxPhotos,
    }),
  });
  const problemText = (problem: Problem) => t(problem.key, { formats: photoFormats(t), ...problem.params });
  const element = h("section", { class: "photos" }, heading, grid, uploads, input, addButton, hint);

  const taken = () => photos.length + queue.length;

  const redraw = () => {
    heading.textContent = t("form.photos", { n: photos.length, max: LIMITS.maxPhotos });
    mount(
      grid,
      photos.map((photo, index) =>
        h(
          "figure",
          { class: "photo-item", data: { photoId: String(photo.id) } },
          photoImage(photo, t("listing.photoAlt", { n: index + 1 }), t),
          h("button", {
            type: "button",
            class: "photo-delete",
            text: "\u00d7",
            title: t("form.deletePhoto"),
            aria: { label: t("form.deletePhoto") },
            onClick: () => void remove(photo),
          }),
        ),
      ),
    );
    const full = taken() >= LIMITS.maxPhotos;
    input.disabled = full;
    addButton.classList.toggle("disabled", full);
    addButton.setAttribute("aria-disabled", String(full));
  };

  const remove = async (photo: PhotoRead) => {
    if (!(await app.confirm(t("form.deletePhotoConfirm")))) return;
    try {
      await app.api.deletePhoto(listing.id, photo.id);
      photos = photos.filter((p) => p.id !== photo.id);
      redraw();
    } catch (error) {
      app.toast(app.errorText(error));
    }
  };

  const failRow = (name: string, message: string, row?: HTMLElement) => {
    const node = row ?? h("div", { class: "upload-row" });
    node.classList.add("failed");
    mount(
      node,
      h("span", {
        class: "upload-error",
        role: "alert",
        text: t("form.uploadFailed", { name, error: message }),
      }),
      h("button", {
        type: "button",
        class: "link-button",
        text: t("form.dismiss"),
        onClick: () => node.remove(),
      }),
    );
    if (!row) uploads.appendChild(node);
  };

  const add = (files: FileList | File[]) => {
    // A new choice of files: what failed before is no longer news.
    for (const row of uploads.querySelectorAll(".upload-row.failed")) row.remove();
    for (const file of Array.from(files)) {
      const problem = checkPhoto(file, taken());
      if (problem) {
        failRow(file.name, problemText(problem));
        continue;
      }
      const progress = h("progress", { max: "1", value: "0", aria: { label: file.name } });
      const status = h("span", { class: "upload-name", text: t("form.uploading", { name: file.name }) });
      const preview = typeof URL.createObjectURL === "function" ? URL.createObjectURL(file) : null;
      const row = h(
        "div",
        { class: "upload-row" },
        preview ? h("img", { class: "upload-preview", src: preview, alt: "" }) : null,
        status,
        progress,
      );
      uploads.appendChild(row);
      queue.push({ file, row, progress, status, preview });
    }
    redraw();
    void pump();
  };

  const pump = async () => {
    if (running) return;
    running = true;
    onBusy(true);
    while (queue.length && !signal.aborted) {
      const upload = queue[0]!;
      await send(upload);
      queue.shift();
      if (upload.preview) URL.revokeObjectURL(upload.preview);
      redraw();
    }
    running = false;
    if (!signal.aborted) onBusy(false);
    schedulePoll();
  };

  const send = async (upload: Upload) => {
    let photoId: number | null = null;
    try {
      const ticket = await app.api.photoTicket(listing.id);
      photoId = ticket.photo_id;
      const problem = checkPhoto(upload.file, 0, ticket.max_bytes);
      if (problem) throw new LocalError(problemText(problem));
      await app.uploader(ticket, upload.file, {
        signal,
        onProgress: (fraction) => {
          upload.progress.value = fraction;
        },
      });
      const photo = await app.api.completePhoto(listing.id, ticket.photo_id);
      photos.push(photo);
      upload.row.remove();
    } catch (error) {
      if (signal.aborted) return;
      failRow(upload.file.name, app.errorText(error), upload.row);
      // Free the slot the ticket reserved (the server may have dropped it already).
      if (photoId !== null) await app.api.deletePhoto(listing.id, photoId).catch(() => undefined);
    }
  };

  // Photos are re-encoded by the worker: look again until every one is ready.
  const schedulePoll = () => {
    if (signal.aborted || running || polls >= POLL_LIMIT || photos.every((p) => p.ready)) return;
    polls += 1;
    setTimeout(async () => {
      if (signal.aborted || running) return;
      try {
        const fresh = await app.api.listing(listing.id);
        if (signal.aborted || running) return;
        photos = [...fresh.photos].sort((a, b) => a.position - b.position);
        redraw();
      } catch {
        // try again on the next tick
      }
      schedulePoll();
    }, POLL_MS);
  };

  input.addEventListener("change", () => {
    if (input.files?.length) add(input.files);
    input.value = "";
  });
  signal.addEventListener("abort", () => {
    for (const upload of queue) if (upload.preview) URL.revokeObjectURL(upload.preview);
  });
  redraw();
  schedulePoll();

  return {
    element,
    get busy() {
      return queue.length > 0;
    },
    get photos() {
      return photos;
    },
  };
}

// One listing: photos, price, place, description; the owner also sees its status, the
// moderator's reason, and can edit, submit or archive it.

import { ApiError } from "../api";
import type { App, PageContext } from "../app";
import { h, mount } from "../dom";
import { formatDate } from "../format";
import type { ListingRead } from "../types";
import { photoImage, priceText, rejectionNote, spinner, statusBadge } from "../ui";

/** The listing id from the address; a 404 for anything that is not one. */
export function listingId(raw: string | undefined): number {
  const id = /^\d{1,16}$/.test(raw ?? "") ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id)) throw new ApiError(404, "Not found");
  return id;
}

export async function detailPage(ctx: PageContext): Promise<void> {
  const { app, t, view, params } = ctx;
  const id = listingId(params.id);
  mount(view, spinner(t("app.loading")));
  const listing = await app.api.listing(id);
  if (ctx.signal.aborted) return;
  renderListing(ctx, listing);
}

export function renderListing(ctx: PageContext, listing: ListingRead): void {
  const { app, t, view } = ctx;
  const mine = listing.is_mine;
  mount(
    view,
    gallery(app, listing),
    h("h1", { class: "listing-title", text: listing.title }),
    h("div", { class: "listing-price", text: priceText(listing, app) }),
    h("div", { class: "listing-meta", text: `${listing.city} · ${app.categoryTitle(listing.category)}` }),
    listing.published_at
      ? h("div", {
          class: "listing-date",
          text: t("listing.published", { date: formatDate(listing.published_at, app.language) }),
        })
      : null,
    mine ? h("div", { class: "listing-status" }, statusBadge(listing.status, t)) : null,
    mine ? rejectionNote(listing, t) : null,
    listing.description ? h("p", { class: "listing-description", text: listing.description }) : null,
    mine ? ownerActions(ctx, listing) : null,
  );
  // Drawn again after submit or archive: the button follows the new status.
  const editable = mine && listing.status !== "archived";
  ctx.mainButton(
    editable
      ? { text: t("listing.edit"), onClick: () => app.navigate(`/listings/${listing.id}/edit`) }
      : null,
  );
}

function gallery(app: App, listing: ListingRead): HTMLElement {
  const t = app.t;
  const photos = [...listing.photos].sort((a, b) => a.position - b.position);
  const main = h("div", { class: "gallery-main" }, photoImage(photos[0], listing.title, t, true));
  if (photos.length < 2) return h("div", { class: "gallery" }, main);
  const strip = h(
    "div",
    { class: "gallery-strip" },
    photos.map((photo, index) =>
      h(
        "button",
        {
          type: "button",
          class: "gallery-thumb",
          aria: { label: t("listing.photoAlt", { n: index + 1 }) },
          onClick: () => mount(main, photoImage(photo, listing.title, t, true)),
        },
        photoImage(photo, t("listing.photoAlt", { n: index + 1 }), t),
      ),
    ),
  );
  return h("div", { class: "gallery" }, main, strip);
}

function ownerActions(ctx: PageContext, listing: ListingRead): HTMLElement | null {
  const { app, t } = ctx;
  const buttons: HTMLButtonElement[] = [];
  const act = async (action: () => Promise<ListingRead>, done: string) => {
    for (const b of buttons) b.disabled = true;
    try {
      const fresh = await action();
      app.toast(done);
      if (!ctx.signal.aborted) renderListing(ctx, fresh);
    } catch (error) {
      app.toast(app.errorText(error));
      for (const b of buttons) b.disabled = false;
    }
  };
  if (listing.status === "draft" || listing.status === "rejected") {
    const submit = h("button", { type: "button", class: "button", text: t("listing.submit") });
    submit.addEventListener(
      "click",
      () => void act(() => app.api.submitListing(listing.id), t("listing.submitted")),
    );
    buttons.push(submit);
  }
  if (listing.status !== "archived") {
    const archive = h("button", { type: "button", class: "button destructive", text: t("listing.archive") });
    archive.addEventListener("click", async () => {
      if (!(await app.confirm(t("listing.archiveConfirm")))) return;
      await act(() => app.api.archiveListing(listing.id), t("listing.archived"));
    });
    buttons.push(archive);
  }
  return buttons.length ? h("div", { class: "actions" }, buttons) : null;
}

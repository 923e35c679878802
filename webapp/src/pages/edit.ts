// Edit a listing: fields, photos, and the step that fits its status (a draft is
// submitted, a rejected one goes back to moderation, others just save).

import { ApiError } from "../api";
import type { PageContext } from "../app";
import { h, mount } from "../dom";
import type { ListingRead } from "../types";
import { errorBox, rejectionNote, spinner, statusBadge } from "../ui";
import { changedFields } from "../validation";
import { listingId } from "./detail";
import { listingForm } from "./listing-form";
import { photoManager } from "./photos";

export async function editPage(ctx: PageContext): Promise<void> {
  const { app, t, view, params } = ctx;
  const id = listingId(params.id);
  mount(view, spinner(t("app.loading")));
  let listing: ListingRead = await app.api.listing(id);
  if (ctx.signal.aborted) return;
  if (!listing.is_mine) {
    mount(view, errorBox(t("common.notFound")));
    return;
  }
  const status = listing.status;
  const archived = status === "archived";
  let busy = false;

  /** Save what changed; null when the form has errors. */
  const save = async (): Promise<ListingRead | null> => {
    const result = form.validate();
    if (!result.ok) return null;
    const patch = changedFields(result.value, listing);
    if (!Object.keys(patch).length) return listing;
    try {
      listing = await app.api.updateListing(listing.id, patch);
      return listing;
    } catch (error) {
      if (error instanceof ApiError && form.showServerErrors(error.fieldErrors)) return null;
      throw error;
    }
  };

  const run = async (submit: boolean) => {
    if (busy) return;
    if (photos?.busy) {
      app.toast(t("form.uploadsRunning"));
      return;
    }
    busy = true;
    form.setDisabled(true);
    try {
      let saved = await save();
      if (!saved || ctx.signal.aborted) return;
      if (submit && (saved.status === "draft" || saved.status === "rejected")) {
        saved = await app.api.submitListing(saved.id);
        app.toast(t("listing.submitted"));
      } else {
        app.toast(
          saved.status === "pending" && status !== "pending" ? t("listing.submitted") : t("common.saved"),
        );
      }
      if (!ctx.signal.aborted) app.navigate(`/listings/${saved.id}`, undefined, { replace: true });
    } catch (error) {
      app.toast(app.errorText(error));
    } finally {
      busy = false;
      form.setDisabled(archived);
    }
  };

  const form = listingForm(app, listing, () => void run(status === "draft" || status === "rejected"));
  form.setDisabled(archived);
  const photos = archived ? null : photoManager(ctx, listing, (uploading) => setMain(uploading));

  const notes = [
    archived ? h("p", { class: "notice", text: t("form.archivedReadOnly") }) : null,
    status === "approved" ? h("p", { class: "notice", text: t("form.remoderation") }) : null,
  ];
  mount(
    view,
    h("div", { class: "page-head" }, h("h1", { text: t("form.editTitle") }), statusBadge(status, t)),
    rejectionNote(listing, t),
    notes,
    form.element,
    photos?.element,
    status === "draft"
      ? h(
          "div",
          { class: "actions" },
          h("button", {
            type: "button",
            class: "button secondary",
            text: t("form.saveDraft"),
            onClick: () => void run(false),
          }),
        )
      : null,
  );

  const mainText =
    status === "draft" ? t("listing.submit") : status === "rejected" ? t("form.resubmit") : t("form.save");
  const setMain = (uploading: boolean) => {
    if (archived) return;
    ctx.mainButton({
      text: mainText,
      active: !uploading,
      onClick: () => run(status === "draft" || status === "rejected"),
    });
  };
  setMain(false);
}

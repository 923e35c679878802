// New listing: the fields; the MainButton saves a draft and moves on to its photos.

import { ApiError } from "../api";
import type { PageContext } from "../app";
import { h, mount } from "../dom";
import { listingForm } from "./listing-form";

export function createPage(ctx: PageContext): void {
  const { app, t, view } = ctx;
  let busy = false;

  const submit = async () => {
    if (busy) return;
    const result = form.validate();
    if (!result.ok) return;
    busy = true;
    form.setDisabled(true);
    try {
      const listing = await app.api.createListing(result.value);
      if (ctx.signal.aborted) return;
      app.navigate(`/listings/${listing.id}/edit`, undefined, { replace: true });
    } catch (error) {
      if (!(error instanceof ApiError && form.showServerErrors(error.fieldErrors)))
        app.toast(app.errorText(error));
    } finally {
      busy = false;
      form.setDisabled(false);
    }
  };

  const form = listingForm(app, null, () => void submit());
  mount(
    view,
    h("h1", { text: t("form.newTitle") }),
    form.element,
    h("p", { class: "field-hint", text: t("form.photosAfterSave") }),
  );
  ctx.mainButton({ text: t("form.create"), onClick: submit });
}

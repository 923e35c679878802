// The moderation queue (admins): pending listings, oldest first, each shown in full with
// Approve and Reject (a reason the author will read, 3–500 characters).

import type { App, PageContext } from "../app";
import { ApiError } from "../api";
import { h, mount } from "../dom";
import { formatDate } from "../format";
import { loadPages } from "../paging";
import { LIMITS } from "../limits";
import type { ListingRead, ReportedListing } from "../types";
import { emptyState, field, photoImage, priceText } from "../ui";
import { validateReason } from "../validation";

export async function moderationPage(ctx: PageContext): Promise<void> {
  const { app, t, view } = ctx;
  if (!app.isAdmin) {
    mount(view, h("h1", { text: t("moderation.title") }), emptyState(t("moderation.adminsOnly")));
    return;
  }
  const list = h("div", { class: "results" });
  const reported = h("section", { class: "reported", hidden: true });
  mount(view, h("h1", { text: t("moderation.title") }), list, reported);
  void showReported(ctx, reported);

  const emptyIfDone = () => {
    if (!list.querySelector(".moderation-card") && !list.querySelector(".load-more")) {
      mount(list, emptyState(t("moderation.empty")));
    }
  };

  await loadPages(ctx, list, {
    fetch: (cursor) => app.api.moderationQueue(cursor),
    render: (listing) => moderationCard(app, listing, emptyIfDone),
    afterPage: emptyIfDone,
  });
}

export function moderationCard(app: App, listing: ListingRead, onDone: () => void): HTMLElement {
  const t = app.t;
  const approve = h("button", { type: "button", class: "button", text: t("moderation.approve") });
  const reject = h("button", { type: "button", class: "button destructive", text: t("moderation.reject") });
  const { form: rejectForm, confirm: confirmReject } = reasonForm(app, reject, (reason) => {
    void decide(() => app.api.reject(listing, reason), t("moderation.rejected", { title: listing.title }));
  });
  const buttons = [approve, reject, confirmReject];

  const card = h(
    "article",
    { class: "card moderation-card", data: { listingId: String(listing.id) } },
    h(
      "div",
      { class: "photo-strip" },
      listing.photos.length
        ? [...listing.photos]
            .sort((a, b) => a.position - b.position)
            .map((photo, i) => photoImage(photo, t("listing.photoAlt", { n: i + 1 }), t))
        : photoImage(undefined, "", t),
    ),
    h("h2", { class: "card-title", text: listing.title }),
    h("div", { class: "card-price", text: priceText(listing, app) }),
    h("div", { class: "card-meta", text: `${listing.city} · ${app.categoryTitle(listing.category)}` }),
    h("div", {
      class: "card-meta",
      text: t("moderation.submitted", { date: formatDate(listing.updated_at, app.language) }),
    }),
    listing.description ? h("p", { class: "listing-description", text: listing.description }) : null,
    h("div", { class: "actions" }, approve, reject),
    rejectForm,
  );

  const decide = async (action: () => Promise<unknown>, done: string) => {
    for (const b of buttons) b.disabled = true;
    try {
      await action();
      card.remove();
      app.toast(done);
      onDone();
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        await showCurrentVersion(app, card, listing.id, onDone);
        return;
      }
      app.toast(app.errorText(error));
      for (const b of buttons) b.disabled = false;
    }
  };

  approve.addEventListener(
    "click",
    () => void decide(() => app.api.approve(listing), t("moderation.approved", { title: listing.title })),
  );
  return card;
}

/** Published listings buyers reported, with their reasons: keep one (the reports are
 * dismissed) or take it down (a rejection with a reason the author reads). A page at a
 * time; the section hides when none is left. */
async function showReported(ctx: PageContext, section: HTMLElement): Promise<void> {
  const { app, t } = ctx;
  const heading = h("h2", { class: "section-title" });
  const cards = h("div", { class: "results" });
  const count = () => {
    const left = cards.querySelectorAll(".reported-card").length;
    heading.textContent = t("moderation.reported", { n: left });
    section.hidden = left === 0 && !cards.querySelector(".load-more");
  };
  mount(section, heading, cards);
  count();
  await loadPages(ctx, cards, {
    fetch: (cursor) =>
      app.api.reportedListings(cursor).catch((error: unknown) => {
        section.hidden = false; // why it failed, with a retry
        throw error;
      }),
    render: (item: ReportedListing) => reportedCard(app, item, count),
    afterPage: count,
  });
}

function reportedCard(app: App, item: ReportedListing, onDone: () => void): HTMLElement {
  const { t } = app;
  const { listing, reports } = item;
  const keep = h("button", { type: "button", class: "button secondary", text: t("moderation.keep") });
  const takeDown = h("button", {
    type: "button",
    class: "button destructive",
    text: t("moderation.takeDown"),
  });
  const { form, confirm } = reasonForm(app, takeDown, (reason) => {
    void decide(() => app.api.reject(listing, reason), t("moderation.takenDown", { title: listing.title }));
  });
  const card = h(
    "article",
    { class: "card moderation-card reported-card", data: { listingId: String(listing.id) } },
    h("a", { class: "card-title", href: `#/listings/${listing.id}`, text: listing.title }),
    h("div", { class: "card-price", text: priceText(listing, app) }),
    h(
      "ul",
      { class: "reports" },
      reports.map((report) =>
        h(
          "li",
          {},
          h("b", { text: t(`report.${report.reason}`) }),
          report.comment ? `: ${report.comment}` : null,
        ),
      ),
    ),
    h("div", { class: "actions" }, keep, takeDown),
    form,
  );
  const buttons = [keep, takeDown, confirm];
  const decide = async (action: () => Promise<unknown>, done: string) => {
    for (const b of buttons) b.disabled = true;
    try {
      await action();
      card.remove();
      app.toast(done);
      onDone();
    } catch (error) {
      app.toast(app.errorText(error));
      for (const b of buttons) b.disabled = false;
    }
  };
  keep.addEventListener("click", () => {
    void decide(() => app.api.dismissReports(listing.id), t("moderation.kept", { title: listing.title }));
  });
  return card;
}

/** The reason a listing is rejected or taken down with: ``opener`` shows and hides the
 * form; its confirm button checks the reason and hands it, trimmed, to ``submit``. */
function reasonForm(
  app: App,
  opener: HTMLButtonElement,
  submit: (reason: string) => void,
): { form: HTMLElement; confirm: HTMLButtonElement } {
  const { t } = app;
  const reason = h("textarea", {
    name: "reason",
    rows: 3,
    placeholder: t("moderation.reasonPlaceholder"),
    maxLength: LIMITS.reasonMax + 50,
  });
  const reasonField = field(t("field.reason"), reason);
  const confirm = h("button", {
    type: "button",
    class: "button destructive",
    text: t("moderation.rejectConfirm"),
  });
  const form = h("div", { class: "reject-form", hidden: true }, reasonField.element, confirm);
  opener.addEventListener("click", () => {
    form.hidden = !form.hidden;
    if (!form.hidden) reason.focus();
  });
  confirm.addEventListener("click", () => {
    const problem = validateReason(reason.value);
    reasonField.setError(problem ? t(problem.key, problem.params) : null);
    if (!problem) submit(reason.value.trim());
  });
  return { form, confirm };
}

/** The owner changed the listing after the card was shown (or someone else decided):
 *  show what it is now, so the admin decides on that, never on the old text. */
async function showCurrentVersion(
  app: App,
  card: HTMLElement,
  id: number,
  onDone: () => void,
): Promise<void> {
  try {
    const current = await app.api.listing(id);
    if (current.status === "pending") {
      card.replaceWith(moderationCard(app, current, onDone));
      app.toast(app.t("moderation.changed"));
      return;
    }
  } catch (error) {
    app.toast(app.errorText(error));
  }
  card.remove();
  app.toast(app.t("moderation.decidedElsewhere"));
  onDone();
}

// One listing: photos, price, place, description; the owner also sees its status, the
// moderator's reason, and can edit, submit or archive it.

import { ApiError } from "../api";
import type { App, PageContext } from "../app";
import { h, mount } from "../dom";
import { formatDate } from "../format";
import type { MessageKey } from "../i18n";
import { LIMITS } from "../limits";
import { REPORT_REASONS, type Availability, type ListingRead } from "../types";
import {
  availabilityBadge,
  field,
  options,
  photoImage,
  priceText,
  rejectionNote,
  spinner,
  statusBadge,
} from "../ui";

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
    h(
      "div",
      { class: "listing-status" },
      mine ? statusBadge(listing.status, t) : null,
      availabilityBadge(listing, t),
    ),
    h("div", { class: "listing-price", text: priceText(listing, app) }),
    h("div", { class: "listing-meta", text: `${listing.city} · ${app.categoryTitle(listing.category)}` }),
    listing.published_at
      ? h("div", {
          class: "listing-date",
          text: t("listing.published", { date: formatDate(listing.published_at, app.language) }),
        })
      : null,
    mine ? lifetime(app, listing) : null,
    mine && listing.stats
      ? h("p", {
          class: "listing-stats",
          text: t("listing.stats", { views: listing.stats.views, contacts: listing.stats.contacts }),
        })
      : null,
    mine ? rejectionNote(listing, t) : null,
    listing.description ? h("p", { class: "listing-description", text: listing.description }) : null,
    mine ? ownerActions(ctx, listing) : buyerActions(ctx, listing),
  );
  // Drawn again after each action: the button follows the new state.
  if (mine) {
    const editable = listing.status !== "archived";
    ctx.mainButton(
      editable
        ? { text: t("listing.edit"), onClick: () => app.navigate(`/listings/${listing.id}/edit`) }
        : null,
    );
  } else {
    ctx.mainButton(
      canWrite(listing)
        ? { text: t("listing.writeSeller"), onClick: () => writeToSeller(ctx, listing) }
        : null,
    );
  }
}

function lifetime(app: App, listing: ListingRead): HTMLElement | null {
  const t = app.t;
  if (!listing.expires_at) return null;
  const date = formatDate(listing.expires_at, app.language);
  if (listing.status === "expired") return h("p", { class: "notice", text: t("listing.expired", { date }) });
  if (listing.status !== "approved") return null;
  return h("div", { class: "listing-date listing-expires", text: t("listing.expires", { date }) });
}

function canWrite(listing: ListingRead): boolean {
  return !listing.is_mine && listing.status === "approved" && listing.availability !== "sold";
}

/** The bot carries the conversation: the api starts it and the chat says so. The app
 * closes to show the chat, where the buyer writes their message. */
async function writeToSeller(ctx: PageContext, listing: ListingRead): Promise<void> {
  const { app, t } = ctx;
  await app.api.writeToSeller(listing.id);
  app.toast(t("listing.writeSellerStarted"));
  app.webApp.close();
}

function buyerActions(ctx: PageContext, listing: ListingRead): HTMLElement | null {
  const { t } = ctx;
  if (listing.status !== "approved") return null;
  const direct = safeTelegramLink(listing.seller_link);
  const report = h("button", { type: "button", class: "link-button report-open", text: t("listing.report") });
  const form = reportForm(ctx, listing, () => {
    form.remove();
    report.remove();
  });
  form.hidden = true;
  report.addEventListener("click", () => {
    form.hidden = !form.hidden;
    if (!form.hidden) form.querySelector("select")?.focus();
  });
  return h(
    "div",
    { class: "buyer-actions" },
    direct
      ? h("a", {
          class: "button secondary seller-link",
          href: direct,
          target: "_blank",
          rel: "noopener noreferrer",
          text: t("listing.sellerDirect"),
        })
      : null,
    h("div", { class: "actions" }, report),
    form,
  );
}

/** Only https://t.me/<username> links are shown. */
export function safeTelegramLink(link: string | null | undefined): string | null {
  if (!link) return null;
  return /^https:\/\/t\.me\/[A-Za-z0-9_]{1,64}$/.test(link) ? link : null;
}

function reportForm(ctx: PageContext, listing: ListingRead, onSent: () => void): HTMLFormElement {
  const { app, t } = ctx;
  const reason = h(
    "select",
    { name: "reason", required: true },
    options(REPORT_REASONS.map((r) => ({ value: r, label: t(`report.${r}`) }))),
  );
  const comment = h("textarea", { name: "comment", rows: 3, maxLength: LIMITS.reasonMax });
  const send = h("button", { type: "submit", class: "button destructive", text: t("listing.reportSend") });
  const form = h(
    "form",
    {
      class: "report-form",
      onSubmit: (event) => {
        event.preventDefault();
        send.disabled = true;
        const chosen = REPORT_REASONS.find((r) => r === reason.value) ?? "other";
        app.api
          .reportListing(listing.id, chosen, comment.value.trim())
          .then(() => {
            app.toast(t("listing.reported"));
            onSent();
          })
          .catch((error: unknown) => {
            app.toast(app.errorText(error));
            send.disabled = false;
          });
      },
    },
    h("h2", { class: "section-title", text: t("listing.reportTitle") }),
    field(t("field.reason"), reason).element,
    field(t("listing.reportComment"), comment).element,
    send,
  );
  return form;
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

const MARKS: readonly [Availability, MessageKey][] = [
  ["available", "listing.markAvailable"],
  ["reserved", "listing.markReserved"],
  ["sold", "listing.markSold"],
];

function ownerActions(ctx: PageContext, listing: ListingRead): HTMLElement | null {
  const { app, t } = ctx;
  const buttons: HTMLButtonElement[] = [];
  const act = async (action: () => Promise<ListingRead>, done: (fresh: ListingRead) => string) => {
    for (const b of buttons) b.disabled = true;
    try {
      const fresh = await action();
      app.toast(done(fresh));
      if (!ctx.signal.aborted) renderListing(ctx, fresh);
    } catch (error) {
      app.toast(app.errorText(error));
      for (const b of buttons) b.disabled = false;
    }
  };
  const button = (text: string, kind: string, onClick: () => void) => {
    const made = h("button", { type: "button", class: `button ${kind}`.trim(), text, onClick });
    buttons.push(made);
    return made;
  };
  if (listing.status === "draft" || listing.status === "rejected") {
    button(
      t("listing.submit"),
      "",
      () =>
        void act(
          () => app.api.submitListing(listing.id),
          () => t("listing.submitted"),
        ),
    );
  }
  if (listing.status === "approved") {
    for (const [state, key] of MARKS) {
      if (state === listing.availability) continue;
      button(t(key), "secondary availability-action", () => {
        void act(
          () => app.api.setAvailability(listing.id, state),
          (fresh) => t("listing.availabilityChanged", { state: t(`availability.${fresh.availability}`) }),
        );
      }).dataset.availability = state;
    }
  }
  if (listing.status === "approved" || listing.status === "expired") {
    button(t("listing.renew"), "secondary renew", () => {
      void act(
        () => app.api.renewListing(listing.id),
        (fresh) => t("listing.renewed", { date: formatDate(fresh.expires_at, app.language) }),
      );
    });
  }
  if (listing.status !== "archived") {
    button(t("listing.archive"), "destructive", () => {
      void (async () => {
        if (!(await app.confirm(t("listing.archiveConfirm")))) return;
        await act(
          () => app.api.archiveListing(listing.id),
          () => t("listing.archived"),
        );
      })();
    });
  }
  return buttons.length ? h("div", { class: "actions" }, buttons) : null;
}

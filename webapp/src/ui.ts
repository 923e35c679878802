// Pieces shared by the pages. All user data goes in as text (see dom.ts).

import { h, safeUrl, type Child } from "./dom";
import { formatPrice } from "./format";
import type { Translate } from "./i18n";
import type { Language, ListingRead, ListingStatus, PhotoRead } from "./types";

export interface View {
  t: Translate;
  language: Language;
  categoryTitle(id: string): string;
}

export function statusBadge(status: ListingStatus, t: Translate): HTMLElement {
  return h("span", { class: `badge badge-${status}`, text: t(`status.${status}`) });
}

/** "Reserved" or "Sold" for a published listing; nothing while it is available. */
export function availabilityBadge(listing: ListingRead, t: Translate): HTMLElement | null {
  if (listing.status !== "approved" || listing.availability === "available") return null;
  return h("span", {
    class: `badge availability availability-${listing.availability}`,
    text: t(`availability.${listing.availability}`),
  });
}

export function rejectionNote(listing: ListingRead, t: Translate): HTMLElement | null {
  if (listing.status !== "rejected" || !listing.rejection_reason) return null;
  return h("p", {
    class: "rejection",
    role: "note",
    text: t("listing.rejectedBecause", { reason: listing.rejection_reason }),
  });
}

/** The photo's thumbnail (or full image), or a "processing" placeholder while there is none. */
export function photoImage(
  photo: PhotoRead | undefined,
  alt: string,
  t: Translate,
  full = false,
): HTMLElement {
  const url = safeUrl(full ? (photo?.url ?? photo?.thumbnail_url) : (photo?.thumbnail_url ?? photo?.url));
  if (photo && url) return h("img", { class: "photo", src: url, alt, loading: "lazy" });
  return h("div", {
    class: "photo photo-placeholder",
    text: photo ? t("listing.processing") : t("listing.noPhotos"),
  });
}

export function priceText(listing: ListingRead, view: View): string {
  return formatPrice(listing.price, listing.currency, view.language);
}

/** A listing in a list: photo, title, price, city and category; status for the owner. */
export function listingCard(
  listing: ListingRead,
  view: View,
  options: { showStatus?: boolean } = {},
): HTMLElement {
  const { t } = view;
  return h(
    "a",
    { class: "card listing-card", href: `#/listings/${listing.id}`, data: { listingId: String(listing.id) } },
    photoImage(listing.photos[0], listing.title, t),
    h(
      "div",
      { class: "card-body" },
      h("div", { class: "card-title", text: listing.title }),
      h("div", { class: "card-price", text: priceText(listing, view) }),
      h("div", { class: "card-meta", text: `${listing.city} · ${view.categoryTitle(listing.category)}` }),
      h(
        "div",
        { class: "badges" },
        options.showStatus ? statusBadge(listing.status, t) : null,
        availabilityBadge(listing, t),
      ),
      options.showStatus ? rejectionNote(listing, t) : null,
    ),
  );
}

export function errorBox(message: string, retry?: { label: string; onClick: () => void }): HTMLElement {
  return h(
    "div",
    { class: "error-box", role: "alert" },
    h("p", { text: message }),
    retry
      ? h("button", { type: "button", class: "button secondary", text: retry.label, onClick: retry.onClick })
      : null,
  );
}

export function emptyState(text: string, ...extra: Child[]): HTMLElement {
  return h("div", { class: "empty" }, h("p", { text }), ...extra);
}

export function spinner(text: string): HTMLElement {
  return h(
    "div",
    { class: "loading", role: "status", aria: { live: "polite" } },
    h("span", { class: "spinner" }),
    text,
  );
}

export interface Field {
  element: HTMLElement;
  setError(message: string | null): void;
}

let fieldSeq = 0;

/** A labelled control with a slot for its error message. */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  hint?: string,
): Field {
  fieldSeq += 1;
  const id = control.id || `field-${fieldSeq}`;
  control.id = id;
  const error = h("div", { class: "field-error", id: `${id}-error`, hidden: true });
  control.setAttribute("aria-describedby", `${id}-error`);
  const element = h(
    "div",
    { class: "field" },
    h("label", { for: id, text: label }),
    control,
    hint ? h("div", { class: "field-hint", text: hint }) : null,
    error,
  );
  return {
    element,
    setError(message) {
      error.textContent = message ?? "";
      error.hidden = !message;
      control.setAttribute("aria-invalid", String(Boolean(message)));
      element.classList.toggle("invalid", Boolean(message));
    },
  };
}

export function options(
  values: readonly { value: string; label: string }[],
  selected?: string,
): HTMLOptionElement[] {
  return values.map((o) => h("option", { value: o.value, text: o.label, selected: o.value === selected }));
}

/** A "Load more" button that removes itself while loading and on the last page. */
export function loadMore(label: string, load: () => Promise<void>): HTMLButtonElement {
  const button = h("button", { type: "button", class: "button secondary load-more", text: label });
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await load();
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

// The user's own listings, filtered by status, each with its status and, when rejected,
// the moderator's reason.

import type { PageContext } from "../app";
import { h, mount } from "../dom";
import type { MessageKey } from "../i18n";
import { loadPages } from "../paging";
import { LISTING_STATUSES, type ListingStatus } from "../types";
import { listingCard } from "../ui";

export async function minePage(ctx: PageContext): Promise<void> {
  const { app, t, view, query } = ctx;
  const wanted = query.get("status");
  const status = (LISTING_STATUSES as readonly string[]).includes(wanted ?? "")
    ? (wanted as ListingStatus)
    : null;

  const chips = h(
    "nav",
    { class: "chips", aria: { label: t("mine.title") } },
    [null, ...LISTING_STATUSES].map((s) =>
      h("a", {
        class: `chip${s === status ? " active" : ""}`,
        href: s ? `#/mine?status=${s}` : "#/mine",
        text: t(s ? (`status.${s}` as MessageKey) : "status.all"),
        aria: s === status ? { current: "page" } : undefined,
      }),
    ),
  );
  const list = h("div", { class: "results" });
  mount(view, h("h1", { text: t("mine.title") }), chips, list);
  ctx.mainButton({ text: t("mine.create"), onClick: () => app.navigate("/new") });

  await loadPages(ctx, list, {
    fetch: (cursor) => app.api.myListings(status, cursor),
    render: (listing) => listingCard(listing, app, { showStatus: true }),
    empty: t("mine.empty"),
  });
}

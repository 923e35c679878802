// The user's own listings, filtered by status, each with its status and, when rejected,
// the moderator's reason.

import type { PageContext } from "../app";
import { h, mount } from "../dom";
import type { MessageKey } from "../i18n";
import { LISTING_STATUSES, type ListingPage, type ListingStatus } from "../types";
import { emptyState, errorBox, listingCard, loadMore, spinner } from "../ui";

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

  mount(list, spinner(t("app.loading")));
  let first = true;
  const load = async (cursor: string | null) => {
    let page: ListingPage;
    try {
      page = await app.api.myListings(status, cursor);
    } catch (error) {
      if (ctx.signal.aborted) return;
      if (first) mount(list);
      list.appendChild(
        errorBox(app.errorText(error), { label: t("app.retry"), onClick: () => app.router.refresh() }),
      );
      return;
    }
    if (ctx.signal.aborted) return;
    if (first) mount(list);
    first = false;
    list.querySelector(".load-more")?.remove();
    if (!cursor && !page.items.length) list.appendChild(emptyState(t("mine.empty")));
    for (const listing of page.items) list.appendChild(listingCard(listing, app, { showStatus: true }));
    const next = page.next_cursor;
    if (next) list.appendChild(loadMore(t("common.loadMore"), () => load(next)));
  };
  await load(null);
}

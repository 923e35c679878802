// One list of listings, a page at a time: a spinner, then the first page (or why it
// failed, with a retry), then "load more" while the server has a next cursor.

import type { PageContext } from "./app";
import { mount } from "./dom";
import type { ListingPage, ListingRead } from "./types";
import { emptyState, errorBox, loadMore, spinner } from "./ui";

export interface PagedList {
  fetch: (cursor: string | null) => Promise<ListingPage>;
  render: (listing: ListingRead) => HTMLElement;
  /** Shown when the first page is empty. */
  empty?: string;
  /** After every page is drawn. */
  afterPage?: () => void;
}

export async function loadPages(ctx: PageContext, list: HTMLElement, paged: PagedList): Promise<void> {
  const { app, t } = ctx;
  mount(list, spinner(t("app.loading")));
  let first = true;
  const load = async (cursor: string | null): Promise<void> => {
    let page: ListingPage;
    try {
      page = await paged.fetch(cursor);
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
    if (!cursor && !page.items.length && paged.empty) list.appendChild(emptyState(paged.empty));
    for (const listing of page.items) list.appendChild(paged.render(listing));
    const next = page.next_cursor;
    if (next) list.appendChild(loadMore(t("common.loadMore"), () => load(next)));
    paged.afterPage?.();
  };
  await load(null);
}

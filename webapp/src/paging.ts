// One list (of listings, of reported listings…), a page at a time: a spinner, then the
// first page (or why it failed, with a retry), then "load more" while the server has a
// next cursor.

import type { PageContext } from "./app";
import { mount } from "./dom";
import { emptyState, errorBox, loadMore, spinner } from "./ui";

/** A page as the api sends every list: items and the cursor of the next page. */
export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export interface PagedList<T> {
  fetch: (cursor: string | null) => Promise<Page<T>>;
  render: (item: T) => HTMLElement;
  /** Shown when the first page is empty. */
  empty?: string;
  /** After every page is drawn. */
  afterPage?: () => void;
}

export async function loadPages<T>(ctx: PageContext, list: HTMLElement, paged: PagedList<T>): Promise<void> {
  const { app, t } = ctx;
  mount(list, spinner(t("app.loading")));
  let first = true;
  const load = async (cursor: string | null): Promise<void> => {
    let page: Page<T>;
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
    for (const item of page.items) list.appendChild(paged.render(item));
    const next = page.next_cursor;
    if (next) list.appendChild(loadMore(t("common.loadMore"), () => load(next)));
    paged.afterPage?.();
  };
  await load(null);
}

// The rentals desk's Calendars page: every item of the landlord's Avito accounts side by
// side for a month (one column per item, one row per day: booked, closed or free at a
// glance), month navigation, and closing or opening a range of days on one item with the
// same preview-then-confirm the bot uses ("closes N dates, opens M", then Confirm). A
// change over a paid booking is refused (409) and the page names the booking.

import type { PageContext } from "../app";
import { h, mount } from "../dom";
import { locale } from "../i18n";
import type {
  CalendarChange,
  CalendarDay,
  CalendarMonth,
  Language,
  RentalsAccount,
  RentalsItem,
} from "../types";

/** Avito's calendar days are Moscow days. */
const ZONE = "Europe/Moscow";
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export interface Column {
  item: RentalsItem;
  /** The caller may change this item's calendar (owner or a co-host with full rights). */
  writable: boolean;
  days: Map<string, CalendarDay>;
}

/** Today's date in Moscow, as YYYY-MM-DD. */
export function moscowToday(now: Date = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: ZONE,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(now);
}

/** The month of ``?month=`` when it is a real YYYY-MM (2000–2200), else this month. */
export function monthOf(query: string | null, today: string): string {
  const match = query ? MONTH.exec(query) : null;
  if (match && Number(match[1]) >= 2000 && Number(match[1]) <= 2200) return query!;
  return today.slice(0, 7);
}

/** The year and month number of a YYYY-MM. */
function parts(month: string): [number, number] {
  return [Number(month.slice(0, 4)), Number(month.slice(5, 7))];
}

export function shiftMonth(month: string, by: number): string {
  const [year, number] = parts(month);
  const index = year * 12 + (number - 1) + by;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}`;
}

/** Every date (YYYY-MM-DD) of the month. */
export function daysOf(month: string): string[] {
  const [year, number] = parts(month);
  const count = new Date(Date.UTC(year, number, 0)).getUTCDate();
  return Array.from({ length: count }, (_, i) => `${month}-${String(i + 1).padStart(2, "0")}`);
}

/** The day after ``iso`` (the api's ranges end on the first day after them). */
export function nextDay(iso: string): string {
  const day = new Date(`${iso}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString().slice(0, 10);
}

/** The change that closes or opens the days from ``first`` to ``last`` (both included). */
export function rangeChange(action: "close" | "open", first: string, last: string): CalendarChange {
  const [start, end] = first <= last ? [first, last] : [last, first];
  return { action, ranges: [{ date_start: start, date_end: nextDay(end) }] };
}

function monthTitle(month: string, language: Language): string {
  const [year, number] = parts(month);
  return new Intl.DateTimeFormat(locale(language), {
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  }).format(new Date(Date.UTC(year, number - 1, 1)));
}

function dayLabel(iso: string, language: Language): string {
  return new Intl.DateTimeFormat(locale(language), {
    day: "numeric",
    weekday: "short",
    timeZone: "UTC",
  }).format(new Date(`${iso}T00:00:00Z`));
}

function shortDate(iso: string, language: Language): string {
  return new Intl.DateTimeFormat(locale(language), {
    day: "numeric",
    month: "short",
    timeZone: "UTC",
  }).format(new Date(`${iso}T00:00:00Z`));
}

/** The active items of the caller's unrevoked accounts; ``writable``: owner or full co-host. */
export async function landlordItems(ctx: PageContext): Promise<{ item: RentalsItem; writable: boolean }[]> {
  const { app } = ctx;
  const accounts: RentalsAccount[] = (await app.api.rentalsAccounts()).filter((a) => !a.revoked);
  const items = await Promise.all(
    accounts.map(async (account) =>
      (await app.api.rentalsItems(account.id))
        .filter((item) => item.status === "active")
        .map((item) => ({ item, writable: account.access !== "read" })),
    ),
  );
  return items.flat();
}

async function loadColumns(ctx: PageContext, month: string): Promise<Column[]> {
  const { app } = ctx;
  const flat = await landlordItems(ctx);
  const months: CalendarMonth[] = await Promise.all(
    flat.map(({ item }) => app.api.itemCalendar(item.id, month)),
  );
  return flat.map(({ item, writable }, i) => ({
    item,
    writable,
    days: new Map((months[i]?.days ?? []).map((day) => [day.date, day])),
  }));
}

interface Selection {
  itemId: number;
  first: string;
  last: string | null;
}

export async function calendarsPage(ctx: PageContext): Promise<void> {
  const { app, t, view } = ctx;
  const today = moscowToday();
  const month = monthOf(ctx.query.get("month"), today);
  const language = app.language;
  const go = (to: string) => app.navigate("/calendars", { month: to });

  const grid = h("div", { class: "cal-grid-wrap" });
  const panel = h("div", { class: "cal-panel", aria: { live: "polite" } });
  mount(
    view,
    h("h1", { text: t("calendars.title") }),
    h("p", { class: "hint", text: t("calendars.hint") }),
    h(
      "div",
      { class: "cal-nav" },
      h("button", {
        type: "button",
        class: "button secondary cal-prev",
        text: "‹",
        aria: { label: t("calendars.prev") },
        onClick: () => go(shiftMonth(month, -1)),
      }),
      h("h2", { class: "cal-month", text: monthTitle(month, language) }),
      h("button", {
        type: "button",
        class: "button secondary cal-next",
        text: "›",
        aria: { label: t("calendars.next") },
        onClick: () => go(shiftMonth(month, 1)),
      }),
    ),
    h(
      "p",
      { class: "cal-legend" },
      (["free", "closed", "booked"] as const).map((state) =>
        h("span", { class: `cal-key day-${state}`, text: t(`calendars.state.${state}`) }),
      ),
    ),
    grid,
    panel,
  );

  const columns = await loadColumns(ctx, month);
  if (ctx.signal.aborted) return;
  if (!columns.length) {
    mount(grid, h("p", { class: "empty", text: t("calendars.empty") }));
    return;
  }

  let selection: Selection | null = null;
  // Cancel: the range is dropped and the panel emptied.
  const cancelButton = () =>
    h("button", {
      type: "button",
      class: "button secondary cal-clear",
      text: t("common.cancel"),
      onClick: () => {
        selection = null;
        paint();
        mount(panel);
      },
    });
  const cells = new Map<string, HTMLElement>();
  const key = (itemId: number, day: string) => `${itemId}:${day}`;

  const paint = () => {
    for (const [id, cell] of cells) {
      const [itemId = "", day = ""] = id.split(":");
      let chosen = false;
      if (selection && Number(itemId) === selection.itemId) {
        const last = selection.last ?? selection.first;
        const [a, b] = selection.first <= last ? [selection.first, last] : [last, selection.first];
        chosen = day >= a && day <= b;
      }
      cell.classList.toggle("selected", chosen);
      cell.setAttribute("aria-pressed", String(chosen));
    }
  };

  const choose = (column: Column, day: string) => {
    if (!selection || selection.itemId !== column.item.id || selection.last !== null) {
      selection = { itemId: column.item.id, first: day, last: null };
    } else {
      selection = { ...selection, last: day };
    }
    paint();
    showChoice(column);
  };

  const showChoice = (column: Column) => {
    if (!selection) {
      mount(panel);
      return;
    }
    const { first } = selection;
    const last = selection.last ?? first;
    const [a, b] = first <= last ? [first, last] : [last, first];
    const range = a === b ? shortDate(a, language) : `${shortDate(a, language)} – ${shortDate(b, language)}`;
    const act = (action: "close" | "open") => () => void preview(column, rangeChange(action, a, b));
    mount(
      panel,
      h("p", { class: "cal-choice", text: t("calendars.chosen", { title: column.item.title, range }) }),
      selection.last === null ? h("p", { class: "hint", text: t("calendars.pickEnd") }) : null,
      h(
        "div",
        { class: "cal-actions" },
        h("button", {
          type: "button",
          class: "button cal-close",
          text: t("calendars.close"),
          onClick: act("close"),
        }),
        h("button", {
          type: "button",
          class: "button secondary cal-open",
          text: t("calendars.open"),
          onClick: act("open"),
        }),
        cancelButton(),
      ),
    );
  };

  const fail = (error: unknown) => {
    mount(panel, h("p", { class: "error cal-error", role: "alert", text: app.errorText(error) }));
  };

  const preview = async (column: Column, change: CalendarChange) => {
    mount(panel, h("p", { class: "hint", text: t("app.loading") }));
    let found;
    try {
      found = await app.api.previewCalendar(column.item.id, change);
    } catch (error) {
      if (!ctx.signal.aborted) fail(error);
      return;
    }
    if (ctx.signal.aborted) return;
    const nothing = !found.closes.length && !found.opens.length;
    mount(
      panel,
      h("p", {
        class: "cal-diff",
        text: nothing
          ? t("calendars.nothing")
          : t("calendars.diff", {
              title: column.item.title,
              closes: found.closes.length,
              opens: found.opens.length,
            }),
      }),
      h(
        "div",
        { class: "cal-actions" },
        nothing
          ? null
          : h("button", {
              type: "button",
              class: "button cal-confirm",
              text: t("calendars.confirm"),
              onClick: (event) => {
                (event.currentTarget as HTMLButtonElement).disabled = true;
                void confirm(column, change, found.token);
              },
            }),
        cancelButton(),
      ),
    );
  };

  const confirm = async (column: Column, change: CalendarChange, token: string) => {
    try {
      const written = await app.api.confirmCalendar(column.item.id, change, token);
      if (ctx.signal.aborted) return;
      app.toast(t("calendars.done", { closed: written.closed, opened: written.opened }));
      app.router.refresh();
    } catch (error) {
      if (!ctx.signal.aborted) fail(error);
    }
  };

  const table = h(
    "table",
    { class: "cal-grid" },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        h("th", { class: "cal-corner", text: "" }),
        columns.map((column) =>
          h("th", {
            class: "cal-item",
            title: column.item.address,
            text: column.item.title || String(column.item.avito_item_id),
          }),
        ),
      ),
    ),
    h(
      "tbody",
      null,
      daysOf(month).map((day) =>
        h(
          "tr",
          { class: day === today ? "today" : undefined },
          h("th", { class: "cal-day", text: dayLabel(day, language) }),
          columns.map((column) => {
            const found = column.days.get(day);
            const state = found?.state ?? "free";
            const past = day < today;
            const label = found?.booking_id
              ? t("calendars.bookedBy", { booking: found.booking_id })
              : t(`calendars.state.${state}`);
            const cell = h("td", {
              class: `day day-${state}${past ? " past" : ""}`,
              title: label,
              data: { item: String(column.item.id), date: day, state },
            });
            if (column.writable && !past) {
              const button = h("button", {
                type: "button",
                class: "cell",
                aria: { label: `${column.item.title} ${day}: ${label}` },
                onClick: () => choose(column, day),
              });
              cell.append(button);
              cells.set(key(column.item.id, day), cell);
            }
            return cell;
          }),
        ),
      ),
    ),
  );
  mount(grid, table);
  if (columns.some((column) => !column.writable)) {
    grid.append(h("p", { class: "hint", text: t("calendars.readOnly") }));
  }
}

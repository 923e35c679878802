// The person's slot watches (the watch desk): each office and service with its dates and
// hours, whether it is paused, how its appointment system answers, the slots its target
// showed at the last poll, and the official page to book on (people book themselves).

import type { PageContext } from "../app";
import { h, mount } from "../dom";
import { formatDate } from "../format";
import type { MessageKey } from "../i18n";
import { locale } from "../i18n";
import type { Language, WatchRead } from "../types";

const SHOWN_SLOTS = 12;

export function formatSlot(iso: string, timeZone: string, language: Language): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(locale(language), {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone,
  }).format(date);
}

function watchCard(watch: WatchRead, ctx: PageContext, language: Language): HTMLElement {
  const { t } = ctx;
  const hours = `${watch.time_from.slice(0, 5)}–${watch.time_to.slice(0, 5)}`;
  const dates = `${formatDate(watch.date_from, language)} – ${formatDate(watch.date_to, language)}`;
  const slots = watch.open_slots.slice(0, SHOWN_SLOTS);
  const more = watch.open_slots.length - slots.length;
  return h(
    "article",
    { class: "watch-card card" },
    h("h2", { class: "card-title", text: watch.office.name }),
    h("p", { class: "watch-service", text: `${watch.service.name} · ${watch.provider.name}` }),
    h("p", { class: "watch-window", text: `${dates}, ${hours}` }),
    h(
      "p",
      { class: "badges" },
      watch.paused ? h("span", { class: "badge paused", text: t("watches.paused") }) : null,
      h("span", {
        class: `badge state-${watch.target_state}`,
        text: t(`watches.state.${watch.target_state}` as MessageKey),
      }),
    ),
    h("h3", { text: t("watches.slots") }),
    slots.length
      ? h(
          "ul",
          { class: "watch-slots" },
          slots.map((slot) =>
            h("li", { text: formatSlot(slot, watch.provider.timezone ?? "Europe/Berlin", language) }),
          ),
          more > 0 ? h("li", { class: "more", text: t("watches.more", { n: String(more) }) }) : null,
        )
      : h("p", { class: "watch-none", text: t("watches.noSlots") }),
    h("a", {
      class: "button watch-book",
      href: watch.booking_url,
      target: "_blank",
      rel: "noopener noreferrer",
      text: t("watches.book"),
    }),
  );
}

export async function watchesPage(ctx: PageContext): Promise<void> {
  const { app, t, view } = ctx;
  const list = h("div", { class: "results" });
  mount(
    view,
    h("h1", { text: t("watches.title") }),
    h("p", { class: "hint", text: t("watches.hint") }),
    list,
  );
  const watches = await app.api.myWatches();
  if (ctx.signal.aborted) return;
  if (!watches.length) {
    mount(list, h("p", { class: "empty", text: t("watches.empty") }));
    return;
  }
  mount(list, ...watches.map((watch) => watchCard(watch, ctx, app.language)));
}

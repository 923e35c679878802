// The rentals desk's Assistant page: for one apartment at a time, what the guest assistant
// answers from and how (the api's /rentals/items/{id}/guest and /faq): its mode (auto,
// draft, off), the house rules, quiet hours and the time zone they are read in (an unknown
// zone is refused by the api and said here), and the FAQ entries (add, delete). Co-hosts
// with read rights see everything disabled.

import type { PageContext } from "../app";
import { h, mount } from "../dom";
import { landlordItems } from "./calendars";
import type { FaqRead, GuestMode, GuestSettings, GuestSettingsRead, RentalsItem } from "../types";

const MODES: readonly GuestMode[] = ["auto", "draft", "off"];
/** Suggestions only: any IANA name the api knows is taken. */
const ZONES = [
  "Europe/Kaliningrad",
  "Europe/Moscow",
  "Europe/Samara",
  "Asia/Yekaterinburg",
  "Asia/Novosibirsk",
  "Asia/Krasnoyarsk",
  "Asia/Irkutsk",
  "Asia/Vladivostok",
];

interface Choice {
  item: RentalsItem;
  writable: boolean;
}

/** The hours of the form: both empty (no quiet hours), both 0–23, or an error key. */
export function quietHours(
  start: string,
  end: string,
): { change: Partial<GuestSettings> } | { error: "guest.quietBoth" } {
  const [a, b] = [start.trim(), end.trim()];
  if (a === "" && b === "") return { change: { no_quiet_hours: true } };
  const hour = (v: string) => (/^\d{1,2}$/.test(v) && Number(v) <= 23 ? Number(v) : null);
  const [from, to] = [hour(a), hour(b)];
  if (from === null || to === null) return { error: "guest.quietBoth" };
  return { change: { quiet_start: from, quiet_end: to } };
}

export async function guestPage(ctx: PageContext): Promise<void> {
  const { app, t, view } = ctx;
  const body = h("div", { class: "guest-body" });
  mount(view, h("h1", { text: t("guest.title") }), h("p", { class: "hint", text: t("guest.hint") }), body);

  const choices: Choice[] = await landlordItems(ctx);
  if (ctx.signal.aborted) return;
  if (!choices.length) {
    mount(body, h("p", { class: "empty", text: t("calendars.empty") }));
    return;
  }
  const wanted = Number(ctx.query.get("item"));
  const choice = choices.find((c) => c.item.id === wanted) ?? choices[0]!;
  const [settings, faq] = await Promise.all([
    app.api.guestSettings(choice.item.id),
    app.api.itemFaq(choice.item.id),
  ]);
  if (ctx.signal.aborted) return;

  const picker =
    choices.length > 1
      ? h(
          "label",
          { class: "field" },
          h("span", { text: t("guest.item") }),
          h(
            "select",
            {
              class: "guest-item",
              value: String(choice.item.id),
              onChange: (event: Event) =>
                app.navigate("/guest", { item: (event.target as HTMLSelectElement).value }),
            },
            choices.map((c) =>
              h("option", { value: String(c.item.id), text: c.item.title || String(c.item.avito_item_id) }),
            ),
          ),
        )
      : h("p", { class: "guest-title", text: choice.item.title });
  mount(body, picker, settingsForm(ctx, choice, settings), faqSection(ctx, choice, faq));
}

function settingsForm(ctx: PageContext, choice: Choice, settings: GuestSettingsRead): HTMLElement {
  const { app, t } = ctx;
  const disabled = !choice.writable;
  const mode = h(
    "select",
    { class: "guest-mode", value: settings.mode, disabled },
    MODES.map((m) => h("option", { value: m, text: t(`guest.mode.${m}`) })),
  );
  const rules = h("textarea", {
    class: "guest-rules",
    rows: 6,
    maxLength: 10_000,
    value: settings.house_rules,
    disabled,
  });
  const hourInput = (value: number | null, name: string) =>
    h("input", {
      class: `guest-${name}`,
      type: "number",
      min: "0",
      max: "23",
      inputMode: "numeric",
      value: value === null ? "" : String(value),
      disabled,
    });
  const quietStart = hourInput(settings.quiet_start, "quiet-start");
  const quietEnd = hourInput(settings.quiet_end, "quiet-end");
  const zone = h("input", {
    class: "guest-zone",
    type: "text",
    maxLength: 64,
    value: settings.time_zone,
    disabled,
    list: "guest-zones",
    autocomplete: "off",
  });
  const status = h("p", { class: "guest-status", aria: { live: "polite" } });
  const save = async () => {
    const quiet = quietHours(quietStart.value, quietEnd.value);
    if ("error" in quiet) {
      mount(status, h("span", { class: "error guest-error", role: "alert", text: t(quiet.error) }));
      return;
    }
    const change: GuestSettings = {
      mode: mode.value as GuestMode,
      house_rules: rules.value,
      time_zone: zone.value.trim(),
      no_quiet_hours: false,
      ...quiet.change,
    };
    try {
      const saved = await app.api.updateGuestSettings(choice.item.id, change);
      zone.value = saved.time_zone;
      mount(status);
      app.toast(t("common.saved"));
    } catch (error) {
      mount(status, h("span", { class: "error guest-error", role: "alert", text: app.errorText(error) }));
    }
  };
  return h(
    "section",
    { class: "guest-settings" },
    h("label", { class: "field" }, h("span", { text: t("guest.modeLabel") }), mode),
    h("label", { class: "field" }, h("span", { text: t("guest.rules") }), rules),
    h(
      "fieldset",
      { class: "field guest-quiet" },
      h("legend", { text: t("guest.quiet") }),
      quietStart,
      h("span", { text: " – " }),
      quietEnd,
      h("p", { class: "hint", text: t("guest.quietHint") }),
    ),
    h("label", { class: "field" }, h("span", { text: t("guest.zone") }), zone),
    h(
      "datalist",
      { id: "guest-zones" },
      ZONES.map((z) => h("option", { value: z })),
    ),
    status,
    choice.writable
      ? h("button", {
          type: "button",
          class: "button guest-save",
          text: t("guest.save"),
          onClick: () => void save(),
        })
      : h("p", { class: "hint", text: t("calendars.readOnly") }),
  );
}

function faqSection(ctx: PageContext, choice: Choice, entries: FaqRead[]): HTMLElement {
  const { app, t } = ctx;
  const list = h("ul", { class: "guest-faq" });
  const error = h("p", { class: "guest-faq-status", aria: { live: "polite" } });
  const fail = (e: unknown) =>
    mount(error, h("span", { class: "error guest-faq-error", role: "alert", text: app.errorText(e) }));
  const draw = () =>
    mount(
      list,
      entries.length
        ? entries.map((entry) =>
            h(
              "li",
              { class: "guest-faq-entry", data: { faq: String(entry.id) } },
              h("b", { text: entry.question }),
              h("span", { text: ` ${entry.answer}` }),
              choice.writable
                ? h("button", {
                    type: "button",
                    class: "button secondary guest-faq-delete",
                    text: t("guest.faqDelete"),
                    onClick: async () => {
                      try {
                        await app.api.deleteFaq(choice.item.id, entry.id);
                        entries = entries.filter((e) => e.id !== entry.id);
                        mount(error);
                        draw();
                      } catch (e) {
                        fail(e);
                      }
                    },
                  })
                : null,
            ),
          )
        : h("li", { class: "empty", text: t("guest.faqEmpty") }),
    );
  draw();
  const question = h("input", { class: "guest-faq-question", type: "text", maxLength: 500 });
  const answer = h("textarea", { class: "guest-faq-answer", rows: 3, maxLength: 2000 });
  const add = async () => {
    if (!question.value.trim() || !answer.value.trim()) {
      mount(error, h("span", { class: "error guest-faq-error", role: "alert", text: t("guest.faqBoth") }));
      return;
    }
    try {
      entries = [
        ...entries,
        await app.api.addFaq(choice.item.id, question.value.trim(), answer.value.trim()),
      ];
      question.value = answer.value = "";
      mount(error);
      draw();
    } catch (e) {
      fail(e);
    }
  };
  return h(
    "section",
    { class: "guest-faq-section" },
    h("h2", { text: t("guest.faq") }),
    list,
    choice.writable
      ? h(
          "div",
          { class: "guest-faq-add" },
          h("label", { class: "field" }, h("span", { text: t("guest.faqQuestion") }), question),
          h("label", { class: "field" }, h("span", { text: t("guest.faqAnswer") }), answer),
          h("button", {
            type: "button",
            class: "button guest-faq-save",
            text: t("guest.faqAdd"),
            onClick: () => void add(),
          }),
        )
      : null,
    error,
  );
}

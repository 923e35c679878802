// The listing's fields, shared by the create and edit pages.

import type { App } from "../app";
import { h } from "../dom";
import { formAmount } from "../format";
import { LIMITS } from "../limits";
import { CURRENCIES, isCurrency, type ListingRead } from "../types";
import { field, options, type Field } from "../ui";
import { validateListing, type FormErrors, type ListingForm, type Validated } from "../validation";

export interface ListingFormView {
  element: HTMLFormElement;
  read(): ListingForm;
  /** Check the fields, show what is wrong next to each, and return the result. */
  validate(): Validated;
  /** Show a 422's field messages (from the server) next to the fields. */
  showServerErrors(fieldErrors: Record<string, string>): boolean;
  setDisabled(disabled: boolean): void;
}

type Name = Exclude<keyof ListingForm, "allowDirectContact">;

export function listingForm(app: App, listing: ListingRead | null, onSubmit: () => void): ListingFormView {
  const t = app.t;
  const title = h("input", {
    type: "text",
    name: "title",
    value: listing?.title ?? "",
    maxLength: LIMITS.titleMax + 20,
    required: true,
    autocomplete: "off",
  });
  const description = h("textarea", { name: "description", rows: 6, value: listing?.description ?? "" });
  const category = h(
    "select",
    { name: "category", value: listing?.category ?? "", required: true },
    h("option", { value: "", text: t("field.chooseCategory") }),
    options(app.categoryOptions()),
  );
  const price = h("input", {
    type: "text",
    name: "price",
    inputMode: "decimal",
    value: listing ? formAmount(listing.price, app.language) : "",
    autocomplete: "off",
    required: true,
  });
  const currency = h(
    "select",
    { name: "currency", value: listing?.currency ?? app.suggestedCurrency },
    options(CURRENCIES.map((c) => ({ value: c, label: c }))),
  );
  // A new listing's currency follows its city (the api knows which city uses which) until
  // the seller picks one themselves.
  let currencyChosen = listing !== null;
  currency.addEventListener("change", () => {
    currencyChosen = true;
  });
  const city = h("input", {
    type: "text",
    name: "city",
    value: listing?.city ?? "",
    maxLength: LIMITS.cityMax + 20,
    required: true,
  });

  city.addEventListener("change", () => {
    const named = city.value.trim();
    if (currencyChosen || named.length < LIMITS.cityMin) return;
    void app.api
      .suggestedCurrency(named)
      .then((suggested) => {
        if (!currencyChosen && isCurrency(suggested)) currency.value = suggested;
      })
      .catch(() => undefined);
  });
  const direct = h("input", {
    type: "checkbox",
    name: "allow_direct_contact",
    checked: listing?.allow_direct_contact ?? false,
  });
  const directField = h(
    "label",
    { class: "check" },
    direct,
    h(
      "span",
      {},
      h("span", { text: t("form.allowDirect") }),
      h("span", { class: "field-hint", text: t("form.allowDirectHint") }),
    ),
  );
  const summary = h("p", { class: "form-summary", role: "alert", hidden: true, text: t("form.fixErrors") });

  const fields: Record<Name, Field> = {
    title: field(t("field.title"), title),
    description: field(t("field.description"), description, `≤ ${LIMITS.descriptionMax}`),
    category: field(t("field.category"), category),
    price: field(t("field.price"), price),
    currency: field(t("field.currency"), currency),
    city: field(t("field.city"), city),
  };
  const controls = [title, description, category, price, currency, city, direct];

  const element = h(
    "form",
    { class: "listing-form", onSubmit: (event) => (event.preventDefault(), onSubmit()) },
    summary,
    fields.title.element,
    fields.description.element,
    fields.category.element,
    h("div", { class: "row" }, fields.price.element, fields.currency.element),
    fields.city.element,
    directField,
    // Enter in a text field submits, like the MainButton.
    h("button", { type: "submit", hidden: true }),
  );
  element.noValidate = true;

  const read = (): ListingForm => ({
    title: title.value,
    description: description.value,
    category: category.value,
    price: price.value,
    currency: currency.value,
    city: city.value,
    allowDirectContact: direct.checked,
  });

  const show = (errors: FormErrors) => {
    // What is wrong is said next to each field; the line on top says there is something.
    summary.hidden = !Object.keys(errors).length;
    for (const [name, f] of Object.entries(fields) as [Name, Field][]) {
      const problem = errors[name];
      f.setError(problem ? t(problem.key, problem.params) : null);
    }
    const first = (Object.keys(fields) as Name[]).find((name) => errors[name]);
    if (first) controls[Object.keys(fields).indexOf(first)]?.focus();
  };

  return {
    element,
    read,
    validate() {
      const result = validateListing(
        read(),
        app.categoryOptions().map((o) => o.value),
        app.language,
      );
      show(result.ok ? {} : result.errors);
      return result;
    },
    showServerErrors(fieldErrors) {
      let shown = false;
      // The api's messages are English: the field is marked, in the user's language.
      for (const [name, f] of Object.entries(fields) as [Name, Field][]) {
        if (fieldErrors[name]) {
          f.setError(t("err.invalid"));
          shown = true;
        }
      }
      summary.hidden = !shown;
      return shown;
    },
    setDisabled(disabled) {
      for (const control of controls) control.disabled = disabled;
    },
  };
}

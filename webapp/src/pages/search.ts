// Search approved listings: words, category, city, price range (and its currency).
// The filters live in the hash (#/search?q=…), so going back keeps them.

import type { PageContext } from "../app";
import { h, mount } from "../dom";
import { loadPages } from "../paging";
import { CURRENCIES, isCategory, isCurrency, type SearchFilters } from "../types";
import { field, listingCard, options } from "../ui";
import { normalizePrice, validatePriceRange } from "../validation";

/** The filters in the address; a category or currency the contract lacks is left out. */
export function filtersFrom(query: URLSearchParams): SearchFilters {
  const filters: SearchFilters = {};
  const text = (name: string) => query.get(name)?.trim() || undefined;
  for (const name of ["q", "city", "price_min", "price_max"] as const) {
    const value = text(name);
    if (value) filters[name] = value;
  }
  const category = text("category");
  if (category && isCategory(category)) filters.category = category;
  const currency = text("currency");
  if (currency && isCurrency(currency)) filters.currency = currency;
  return filters;
}

export async function searchPage(ctx: PageContext): Promise<void> {
  const { app, t, view, query } = ctx;
  const filters = filtersFrom(query);

  const q = h("input", {
    type: "search",
    name: "q",
    value: filters.q ?? "",
    placeholder: t("search.placeholder"),
    maxLength: 2000,
  });
  const category = h(
    "select",
    { name: "category", value: filters.category ?? "" },
    h("option", { value: "", text: t("common.any") }),
    options(app.categoryOptions()),
  );
  const city = h("input", { type: "text", name: "city", value: filters.city ?? "", maxLength: 64 });
  const priceMin = h("input", {
    type: "text",
    name: "price_min",
    inputMode: "decimal",
    value: String(filters.price_min ?? ""),
  });
  const priceMax = h("input", {
    type: "text",
    name: "price_max",
    inputMode: "decimal",
    value: String(filters.price_max ?? ""),
  });
  const currency = h(
    "select",
    { name: "currency", value: filters.currency ?? "" },
    h("option", { value: "", text: t("common.any") }),
    options(CURRENCIES.map((c) => ({ value: c, label: c }))),
  );
  const qField = field(t("field.query"), q);
  const priceMinField = field(t("field.priceMin"), priceMin);
  const priceMaxField = field(t("field.priceMax"), priceMax);

  const apply = (event?: Event) => {
    event?.preventDefault();
    const problem = validatePriceRange(priceMin.value, priceMax.value, app.language);
    priceMinField.setError(problem ? t(problem.key, problem.params) : null);
    if (problem) return;
    app.navigate(
      "/search",
      {
        q: q.value.trim(),
        category: category.value,
        city: city.value.trim(),
        price_min: priceMin.value.trim() ? normalizePrice(priceMin.value, app.language) : null,
        price_max: priceMax.value.trim() ? normalizePrice(priceMax.value, app.language) : null,
        currency: currency.value,
      },
      { replace: true },
    );
  };

  const form = h(
    "form",
    { class: "filters", role: "search", onSubmit: apply },
    qField.element,
    h(
      "div",
      { class: "row" },
      field(t("field.category"), category).element,
      field(t("field.city"), city).element,
    ),
    h(
      "div",
      { class: "row" },
      priceMinField.element,
      priceMaxField.element,
      field(t("field.currency"), currency).element,
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "button", text: t("search.submit") }),
      h("button", {
        type: "button",
        class: "button secondary",
        text: t("search.reset"),
        onClick: () => app.navigate("/search", {}, { replace: true }),
      }),
    ),
  );
  form.noValidate = true;
  const results = h("div", { class: "results", aria: { live: "polite" } });
  mount(view, h("h1", { text: t("search.title") }), form, results);

  await loadPages(ctx, results, {
    fetch: (cursor) => app.api.search(filters, cursor),
    render: (listing) => listingCard(listing, app),
    empty: t("search.noResults"),
  });
}

import { describe, expect, it } from "vitest";
import { h, mount, safeUrl } from "../src/dom";
import { formatDate, formatPrice } from "../src/format";
import { translator } from "../src/i18n";
import { listingCard, photoImage, rejectionNote, type View } from "../src/ui";
import { listing, photo } from "./helpers";

const SCRIPT = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">`;

const view: View = {
  t: translator("en"),
  language: "en",
  categoryTitle: (id) => `cat:${id}`,
};

describe("h", () => {
  it("turns strings into text nodes, never markup", () => {
    const node = h("p", { class: "x" }, SCRIPT, " and ", h("b", { text: SCRIPT }));
    expect(node.textContent).toBe(`${SCRIPT} and ${SCRIPT}`);
    expect(node.querySelector("script")).toBeNull();
    expect(node.querySelector("img")).toBeNull();
    expect(node.children).toHaveLength(1);
  });

  it("drops javascript: and data: URLs from href and src", () => {
    expect(h("a", { href: "javascript:alert(1)" }).hasAttribute("href")).toBe(false);
    expect(h("img", { src: "data:text/html,<script>" }).hasAttribute("src")).toBe(false);
    expect(h("a", { href: "#/listings/1" }).getAttribute("href")).toBe("#/listings/1");
    expect(h("img", { src: "https://cdn.example/p.jpg" }).getAttribute("src")).toBe(
      "https://cdn.example/p.jpg",
    );
    expect(safeUrl("  JaVaScRiPt:alert(1)")).toBeNull();
    expect(safeUrl("blob:http://localhost/1234")).toBe("blob:http://localhost/1234");
  });

  it("sets a select's value after its options exist", () => {
    const select = h(
      "select",
      { value: "b" },
      h("option", { value: "a", text: "A" }),
      h("option", { value: "b", text: "B" }),
    );
    expect(select.value).toBe("b");
  });

  it("mount replaces children", () => {
    const box = h("div", null, "old");
    mount(box, "new", null, false, ["a", "b"]);
    expect(box.textContent).toBe("newab");
  });
});

describe("listing renderers", () => {
  it("shows a script in a title as text", () => {
    const card = listingCard(listing({ title: SCRIPT, city: SCRIPT }), view);
    expect(card.querySelector(".card-title")!.textContent).toBe(SCRIPT);
    expect(card.querySelector(".card-meta")!.textContent).toContain(SCRIPT);
    expect(card.querySelector("script")).toBeNull();
    expect(card.querySelectorAll("img")).toHaveLength(0);
    expect((window as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it("links to the listing and shows price, place and status for the owner", () => {
    const card = listingCard(
      listing({ id: 12, status: "rejected", rejection_reason: "Blurry", price: "1500.00" }),
      view,
      {
        showStatus: true,
      },
    );
    expect(card.getAttribute("href")).toBe("#/listings/12");
    expect(card.querySelector(".card-price")!.textContent).toMatch(/1,500/);
    expect(card.querySelector(".badge")!.textContent).toBe("Rejected");
    expect(card.querySelector(".rejection")!.textContent).toBe("Moderator's reason: Blurry");
  });

  it("shows the moderator's reason as text", () => {
    const note = rejectionNote(listing({ status: "rejected", rejection_reason: SCRIPT }), view.t)!;
    expect(note.textContent).toBe(`Moderator's reason: ${SCRIPT}`);
    expect(note.children).toHaveLength(0);
    expect(rejectionNote(listing({ status: "approved", rejection_reason: "old" }), view.t)).toBeNull();
  });

  it("uses the thumbnail, and a placeholder while a photo is processed", () => {
    const img = photoImage(photo(), "alt", view.t) as HTMLImageElement;
    expect(img.getAttribute("src")).toBe("/media/photos/1-thumb.jpg");
    const full = photoImage(photo(), "alt", view.t, true) as HTMLImageElement;
    expect(full.getAttribute("src")).toBe("/media/photos/1.jpg");
    const pending = photoImage(photo({ url: null, thumbnail_url: null, ready: false }), "alt", view.t);
    expect(pending.textContent).toBe("Processing…");
    const hostile = photoImage(photo({ thumbnail_url: "javascript:alert(1)", url: null }), "alt", view.t);
    expect(hostile.tagName).toBe("DIV");
  });
});

describe("formatting", () => {
  it("formats prices for the language, keeping cents only when there are any", () => {
    expect(formatPrice("1500.00", "RUB", "en")).toBe("₽1,500");
    expect(formatPrice("1500.50", "EUR", "en")).toBe("€1,500.50");
    expect(formatPrice("1500.00", "RUB", "ru").replace(/\s/g, " ")).toBe("1 500 ₽");
    expect(formatPrice("n/a", "RUB", "en")).toBe("n/a RUB");
  });

  it("formats dates and ignores junk", () => {
    expect(formatDate("2025-03-04T10:00:00Z", "en")).toBe("4 Mar 2025");
    expect(formatDate("not a date", "en")).toBe("");
    expect(formatDate(null, "ru")).toBe("");
  });
});

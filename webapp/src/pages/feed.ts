// The reader's feed (the feed desk): their best unseen posts in the model's order, each
// with 👍 / 👎 / Skip. A rated post leaves the page (it never comes back); the model
// learns from every like and dislike. Channels and the training round live in the bot.

import type { PageContext } from "../app";
import { h, mount, safeUrl } from "../dom";
import { formatDate } from "../format";
import type { FeedPost, Language, Verdict } from "../types";

const PAGE = 20;
const SHOWN_CHARS = 600;

function excerpt(post: FeedPost): string {
  const body = post.text.trim() || post.title;
  return body.length > SHOWN_CHARS ? `${body.slice(0, SHOWN_CHARS).replace(/\s+\S*$/, "")}…` : body;
}

function postCard(post: FeedPost, ctx: PageContext, language: Language): HTMLElement {
  const { app, t } = ctx;
  const buttons: HTMLButtonElement[] = [];
  const card = h("article", { class: "feed-card card" });
  const rate = async (verdict: Verdict): Promise<void> => {
    for (const b of buttons) b.disabled = true;
    try {
      await app.api.rate(post.document_id, verdict);
      card.remove();
    } catch (error) {
      app.toast(app.errorText(error));
      for (const b of buttons) b.disabled = false;
    }
  };
  const button = (text: string, verdict: Verdict): HTMLButtonElement => {
    const made = h("button", { type: "button", class: "button", text, onClick: () => void rate(verdict) });
    buttons.push(made);
    return made;
  };
  const link = safeUrl(post.url);
  mount(
    card,
    h("h2", { class: "card-title", text: post.channel }),
    post.title && post.text.trim() ? h("h3", { text: post.title }) : null,
    h("p", { class: "feed-text", text: excerpt(post) || t("feed.mediaOnly") }),
    h("p", { class: "hint", text: formatDate(post.published_at, language) }),
    link ? h("a", { href: link, target: "_blank", rel: "noopener noreferrer", text: t("feed.open") }) : null,
    h(
      "p",
      { class: "feed-actions" },
      button("👍", "like"),
      button("👎", "dislike"),
      button(t("feed.skip"), "skip"),
    ),
  );
  return card;
}

export async function feedPage(ctx: PageContext): Promise<void> {
  const { app, t, view } = ctx;
  const list = h("div", { class: "results" });
  mount(view, h("h1", { text: t("feed.title") }), h("p", { class: "hint", text: t("feed.hint") }), list);
  const posts = await app.api.feedPosts(PAGE);
  if (ctx.signal.aborted) return;
  if (!posts.length) {
    mount(list, h("p", { class: "empty", text: t("feed.empty") }));
    return;
  }
  mount(list, ...posts.map((post) => postCard(post, ctx, app.language)));
}

// The MainButton, BackButton and popups drawn in the page when no Telegram host draws
// them (a plain browser). Text goes in with textContent only.

import type { PopupButton } from "./types";

export class InPageControls {
  private main: HTMLButtonElement | null = null;
  private back: HTMLButtonElement | null = null;
  private mainClick: (() => void) | null = null;
  private backClick: (() => void) | null = null;
  private readonly nodes: Element[] = [];

  constructor(private readonly doc: Document) {}

  onMainClick(callback: () => void): void {
    this.mainClick = callback;
  }

  onBackClick(callback: () => void): void {
    this.backClick = callback;
  }

  renderMain(
    params: { is_visible: boolean; is_active: boolean; is_progress_visible: boolean; text: string },
    color: string | null,
    textColor: string | null,
  ): void {
    if (!this.main) {
      this.main = this.doc.createElement("button");
      this.main.type = "button";
      this.main.className = "tgx-main-button";
      this.main.addEventListener("click", () => this.mainClick?.());
      this.add(this.main);
    }
    const button = this.main;
    button.hidden = !params.is_visible;
    button.disabled = !params.is_active;
    button.textContent = params.text;
    button.classList.toggle("tgx-progress", params.is_progress_visible);
    button.setAttribute("aria-busy", String(params.is_progress_visible));
    button.style.backgroundColor = color ?? "";
    button.style.color = textColor ?? "";
    this.doc.documentElement.classList.toggle("tgx-main-visible", params.is_visible);
  }

  renderBack(visible: boolean): void {
    if (!this.back) {
      this.back = this.doc.createElement("button");
      this.back.type = "button";
      this.back.className = "tgx-back-button";
      this.back.setAttribute("aria-label", "Back");
      this.back.textContent = "\u2190";
      this.back.addEventListener("click", () => this.backClick?.());
      this.add(this.back);
    }
    this.back.hidden = !visible;
    this.doc.documentElement.classList.toggle("tgx-back-visible", visible);
  }

  popup(message: string, buttons: PopupButton[], done: (buttonId: string) => void): void {
    const overlay = this.doc.createElement("div");
    overlay.className = "tgx-popup-overlay";
    const box = this.doc.createElement("div");
    box.className = "tgx-popup";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-modal", "true");
    const text = this.doc.createElement("p");
    text.className = "tgx-popup-message";
    text.textContent = message;
    const actions = this.doc.createElement("div");
    actions.className = "tgx-popup-actions";
    const close = (id: string) => {
      overlay.remove();
      done(id);
    };
    for (const button of buttons) {
      const node = this.doc.createElement("button");
      node.type = "button";
      node.className = `tgx-popup-button tgx-popup-${button.type}`;
      node.dataset.buttonId = button.id;
      node.textContent = button.text;
      node.addEventListener("click", () => close(button.id));
      actions.appendChild(node);
    }
    overlay.addEventListener("keydown", (event) => {
      if (event.key === "Escape") close(buttons.find((b) => b.type === "cancel")?.id ?? "");
    });
    box.append(text, actions);
    overlay.appendChild(box);
    this.add(overlay);
    (actions.lastElementChild as HTMLButtonElement | null)?.focus();
  }

  private add(node: Element): void {
    this.doc.body.appendChild(node);
    this.nodes.push(node);
  }

  remove(): void {
    for (const node of this.nodes.splice(0)) node.remove();
    this.doc.documentElement.classList.remove("tgx-main-visible", "tgx-back-visible");
  }
}

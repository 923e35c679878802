// MainButton and BackButton: state kept here, shown by the host (an event per change) or,
// without one, by the in-page controls.

import type { Bridge, MethodParams } from "./bridge";
import type { InPageControls } from "./controls";
import { LIGHT_THEME, normalizeColor, type ThemeParams } from "./theme";
import type { BackButton, BottomButtonParams, MainButton, WebAppEvent } from "./types";

/** What the buttons need from the WebApp that owns them. */
export interface ButtonHost {
  readonly bridge: Bridge;
  readonly controls: InPageControls;
  readonly themeParams: ThemeParams;
  emit(event: WebAppEvent): void;
  onEvent(event: WebAppEvent, callback: () => void): void;
  offEvent(event: WebAppEvent, callback: () => void): void;
}

type Color = NonNullable<MethodParams<"web_app_setup_main_button">["color"]>;

export class MainButtonState implements MainButton {
  text = "";
  isVisible = false;
  isActive = true;
  isProgressVisible = false;
  private color: string | null = null;
  private textColor: string | null = null;
  private lastSent = "";

  constructor(private readonly app: ButtonHost) {
    app.controls.onMainClick(() => {
      if (this.isVisible && this.isActive && !this.isProgressVisible) app.emit("mainButtonClicked");
    });
  }

  setText(text: string): MainButton {
    return this.setParams({ text });
  }

  setParams(params: BottomButtonParams): MainButton {
    if (params.text !== undefined) this.text = params.text.trim().slice(0, 64);
    if (params.color !== undefined) this.color = normalizeColor(params.color);
    if (params.text_color !== undefined) this.textColor = normalizeColor(params.text_color);
    if (params.is_visible !== undefined) this.isVisible = params.is_visible;
    if (params.is_active !== undefined) this.isActive = params.is_active;
    this.sync();
    return this;
  }

  show(): MainButton {
    return this.setParams({ is_visible: true });
  }

  hide(): MainButton {
    return this.setParams({ is_visible: false });
  }

  enable(): MainButton {
    return this.setParams({ is_active: true });
  }

  disable(): MainButton {
    return this.setParams({ is_active: false });
  }

  showProgress(leaveActive = false): MainButton {
    this.isActive = Boolean(leaveActive);
    this.isProgressVisible = true;
    this.sync();
    return this;
  }

  hideProgress(): MainButton {
    if (!this.isActive) this.isActive = true;
    this.isProgressVisible = false;
    this.sync();
    return this;
  }

  onClick(callback: () => void): MainButton {
    this.app.onEvent("mainButtonClicked", callback);
    return this;
  }

  offClick(callback: () => void): MainButton {
    this.app.offEvent("mainButtonClicked", callback);
    return this;
  }

  sync(): void {
    const theme = this.app.themeParams;
    const visible = this.isVisible && this.text.length > 0;
    const params = {
      is_visible: visible,
      is_active: this.isActive,
      is_progress_visible: this.isProgressVisible,
      text: this.text,
      color: (this.color ?? theme.button_color ?? LIGHT_THEME.button_color) as Color,
      text_color: (this.textColor ?? theme.button_text_color ?? LIGHT_THEME.button_text_color) as Color,
    };
    const key = JSON.stringify(params);
    if (key === this.lastSent) return;
    this.lastSent = key;
    if (!this.app.bridge.post("web_app_setup_main_button", params)) {
      this.app.controls.renderMain(params, this.color, this.textColor);
    }
  }
}

export class BackButtonState implements BackButton {
  isVisible = false;

  constructor(private readonly app: ButtonHost) {
    app.controls.onBackClick(() => {
      if (this.isVisible) app.emit("backButtonClicked");
    });
  }

  show(): BackButton {
    return this.set(true);
  }

  hide(): BackButton {
    return this.set(false);
  }

  onClick(callback: () => void): BackButton {
    this.app.onEvent("backButtonClicked", callback);
    return this;
  }

  offClick(callback: () => void): BackButton {
    this.app.offEvent("backButtonClicked", callback);
    return this;
  }

  private set(visible: boolean): BackButton {
    if (visible === this.isVisible) return this;
    this.isVisible = visible;
    if (!this.app.bridge.post("web_app_setup_back_button", { is_visible: visible })) {
      this.app.controls.renderBack(visible);
    }
    return this;
  }
}

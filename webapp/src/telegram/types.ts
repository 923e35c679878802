// The surface of Telegram.WebApp this app uses (the names and semantics of Telegram's
// telegram-web-app.js), implemented over the protocol in webapp.ts.

import type { ThemeParams } from "./theme";

export interface WebAppUser {
  id: number;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
  is_premium?: boolean;
  photo_url?: string;
  allows_write_to_pm?: boolean;
}

export interface InitDataUnsafe {
  query_id?: string;
  user?: WebAppUser;
  auth_date?: number;
  start_param?: string;
  hash?: string;
  [key: string]: unknown;
}

export interface BottomButtonParams {
  text?: string;
  color?: string;
  text_color?: string;
  is_active?: boolean;
  is_visible?: boolean;
}

export interface MainButton {
  readonly text: string;
  readonly isVisible: boolean;
  readonly isActive: boolean;
  readonly isProgressVisible: boolean;
  setText(text: string): MainButton;
  setParams(params: BottomButtonParams): MainButton;
  show(): MainButton;
  hide(): MainButton;
  enable(): MainButton;
  disable(): MainButton;
  showProgress(leaveActive?: boolean): MainButton;
  hideProgress(): MainButton;
  onClick(callback: () => void): MainButton;
  offClick(callback: () => void): MainButton;
}

export interface BackButton {
  readonly isVisible: boolean;
  show(): BackButton;
  hide(): BackButton;
  onClick(callback: () => void): BackButton;
  offClick(callback: () => void): BackButton;
}

export type WebAppEvent = "themeChanged" | "viewportChanged" | "mainButtonClicked" | "backButtonClicked";

/** The part of Telegram.WebApp this app relies on. */
export interface WebApp {
  readonly initData: string;
  readonly initDataUnsafe: InitDataUnsafe;
  readonly version: string;
  readonly platform: string;
  readonly colorScheme: "light" | "dark";
  readonly themeParams: ThemeParams;
  readonly isExpanded: boolean;
  readonly MainButton: MainButton;
  readonly BackButton: BackButton;
  isVersionAtLeast(version: string): boolean;
  ready(): void;
  expand(): void;
  close(): void;
  showAlert(message: string, callback?: () => void): void;
  showConfirm(message: string, callback?: (confirmed: boolean) => void): void;
  onEvent(event: WebAppEvent, callback: () => void): void;
  offEvent(event: WebAppEvent, callback: () => void): void;
}

/** How the app talks to its host (see bridge.ts). */
export type HostMode = "iframe" | "native" | "browser";

export interface TelegramHost {
  webApp: WebApp;
  mode: HostMode;
  /** The launch fragment's "#path?" prefix, if the link carried one. */
  launchPath: string | null;
  /** Start parameter from initData or the launch URL (deep links). */
  startParam: string | null;
  /** Labels for popups drawn in the page. */
  setLabels(labels: PopupLabels): void;
  /** Remove listeners and in-page controls (tests, hot reload). */
  dispose(): void;
}

export interface PopupLabels {
  ok: string;
  cancel: string;
}

/** A popup button: "ok" and "cancel" are labelled by the host (or PopupLabels in the page). */
export interface PopupButton {
  id: string;
  type: "ok" | "cancel" | "close" | "default" | "destructive";
  text: string;
}

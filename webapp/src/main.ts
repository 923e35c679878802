// Entry point: connect to Telegram (or stand in for it), then start the app.

import "./styles.css";
import { ApiClient } from "./api";
import { App, initialPath } from "./app";
import { ROUTES } from "./routes";
import { connectTelegram } from "./telegram";

const host = connectTelegram();
// initData stays in this closure (memory only); the URL fragment that carried it is
// replaced by the first route below, so it is not left in the address or history.
const initData = host.webApp.initData;
let app: App | null = null;

const api = new ApiClient({
  initData: () => initData,
  onRateLimited: (seconds) => app?.toast(app.t("common.slowDown", { s: seconds })),
});

const root = document.getElementById("app");
if (root) {
  app = new App({ root, host, api, routes: ROUTES });
  void app.start(initialPath(host, window.location.search));
}

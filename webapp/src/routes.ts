import type { Route } from "./app";
import { createPage } from "./pages/create";
import { calendarsPage } from "./pages/calendars";
import { detailPage } from "./pages/detail";
import { editPage } from "./pages/edit";
import { feedPage } from "./pages/feed";
import { guestPage } from "./pages/guest";
import { minePage } from "./pages/mine";
import { moderationPage } from "./pages/moderation";
import { searchPage } from "./pages/search";
import { watchesPage } from "./pages/watches";

export const ROUTES: readonly Route[] = [
  { pattern: "/", redirect: "/search" },
  { pattern: "/search", tab: "search", page: searchPage },
  { pattern: "/mine", tab: "mine", page: minePage },
  { pattern: "/new", tab: "new", page: createPage },
  { pattern: "/moderation", tab: "moderation", page: moderationPage },
  { pattern: "/watches", tab: "watches", page: watchesPage },
  { pattern: "/feed", tab: "feed", page: feedPage },
  { pattern: "/calendars", tab: "calendars", page: calendarsPage },
  { pattern: "/guest", tab: "guest", page: guestPage },
  { pattern: "/listings/:id", page: detailPage, parent: () => "/search" },
  { pattern: "/listings/:id/edit", page: editPage, parent: (params) => `/listings/${params.id}` },
];

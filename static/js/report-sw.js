/* Service worker for /report: keeps the page shell so the form opens with no network.
 *
 * The page itself is network-first (a fresh page carries a fresh CSRF token and the logged-in user),
 * falling back to the cached copy; its scripts and styles are cache-first and refreshed in the
 * background (the shared rules: sw-kit.js). Nothing else is touched but the boundaries the form places
 * a position in (AREAS: served from the cache, refreshed in the background, matched with their query):
 * other API calls, and every POST, go straight to the network, because the page's own outbox
 * (IndexedDB) decides what to retry. */
"use strict";

importScripts("/static/js/sw-kit.js");
const { keepOnInstall, dropOlderCaches, pageFromNetworkFirst, assetFromCache, sameOriginGet } = self.reliefWorker;

const CACHE = "relief-report-v5";
const PAGE = "/report";
const ASSETS = [
  "/static/js/common.js",
  "/static/js/report.js",
  "/static/css/report.css",
  "/static/css/relief.css",
  "/static/vendor/leaflet/leaflet.js",
  "/static/vendor/leaflet/leaflet.css",
];
const AREAS = ["/api/map/areas?level=county", "/api/map/areas?level=township"];

keepOnInstall(CACHE, [PAGE, ...ASSETS], AREAS);
dropOlderCaches(CACHE);

const PAGE_COPY = {
  keep: (cache, request, response) => cache.put(PAGE, response),
  kept: (cache) => cache.match(PAGE),
};

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (!sameOriginGet(request)) return;
  const url = new URL(request.url);
  if (request.mode === "navigate" && url.pathname === PAGE) {
    event.respondWith(pageFromNetworkFirst(CACHE, request, PAGE_COPY));
  } else if (ASSETS.includes(url.pathname)) {
    event.respondWith(assetFromCache(CACHE, request, event));
  } else if (AREAS.includes(url.pathname + url.search)) {
    event.respondWith(assetFromCache(CACHE, request, event, { ignoreSearch: false }));
  }
});

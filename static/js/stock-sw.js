/* Service worker for /stock: keeps the warehouse page's shell so it opens with no network.
 *
 * The same shape as the field report's (static/js/report-sw.js, rules in sw-kit.js): the page is
 * network-first (a fresh page carries fresh balances and the CSRF token), falling back to the last copy
 * of that page (or of any /stock page); its scripts and styles are cache-first and refreshed in the
 * background. API calls and every POST go straight to the network: the page's own outbox (IndexedDB,
 * stock_pages.js) decides what to send again, always with the same client_id. */
"use strict";

importScripts("/static/js/sw-kit.js");
const { keepOnInstall, dropOlderCaches, pageFromNetworkFirst, assetFromCache, sameOriginGet } = self.reliefWorker;

const CACHE = "relief-stock-v3";
const PAGE = "/stock";
const ASSETS = [
  "/static/js/common.js",
  "/static/js/stock_pages.js",
  "/static/css/stock.css",
  "/static/css/relief.css",
];

keepOnInstall(CACHE, ASSETS);
dropOlderCaches(CACHE);

const PAGE_COPIES = {
  async keep(cache, request, response) {
    await cache.put(request, response.clone());
    if (new URL(request.url).search === "") await cache.put(PAGE, response);
  },
  async kept(cache, request) {
    return (await cache.match(request)) || (await cache.match(PAGE, { ignoreSearch: true }));
  },
};

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (!sameOriginGet(request)) return;
  const url = new URL(request.url);
  if (request.mode === "navigate" && url.pathname === PAGE) {
    event.respondWith(pageFromNetworkFirst(CACHE, request, PAGE_COPIES));
  } else if (ASSETS.includes(url.pathname)) {
    event.respondWith(assetFromCache(CACHE, request, event));
  }
});

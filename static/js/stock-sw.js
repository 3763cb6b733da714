/* Service worker for /stock: keeps the warehouse page's shell so it opens with no network.
 *
 * The same shape as the field report's (static/js/report-sw.js): the page is network-first (a fresh
 * page carries fresh balances and the CSRF token), falling back to the last copy of that page (or of
 * any /stock page); its scripts and styles are cache-first and refreshed in the background. API calls
 * and every POST go straight to the network: the page's own outbox (IndexedDB, stock_pages.js)
 * decides what to send again, always with the same client_id. */
"use strict";

const CACHE = "relief-stock-v2";
const PAGE = "/stock";
const ASSETS = [
  "/static/js/common.js",
  "/static/js/stock_pages.js",
  "/static/css/stock.css",
  "/static/css/relief.css",
];
const PAGE_TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith("relief-stock-") && n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); }, (error) => { clearTimeout(timer); reject(error); });
  });
}

async function cachedPage(cache, request) {
  return (await cache.match(request)) || (await cache.match(PAGE, { ignoreSearch: true }));
}

async function pageFirstFromNetwork(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await withTimeout(fetch(request), PAGE_TIMEOUT_MS);
    if (response.ok && !response.redirected) {
      await cache.put(request, response.clone());
      if (new URL(request.url).search === "") await cache.put(PAGE, response.clone());
      return response;
    }
    if (response.status >= 500) return (await cachedPage(cache, request)) || response;
    return response;  // a login redirect or a refusal is the answer, not a reason to show an old page
  } catch (error) {
    const cached = await cachedPage(cache, request);
    if (cached) return cached;
    throw error;
  }
}

async function assetFromCache(request, event) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, { ignoreSearch: true });
  const refresh = fetch(request).then((response) => {
    if (response.ok) return cache.put(request, response.clone()).then(() => response);
    return response;
  });
  if (cached) {
    event.waitUntil(refresh.catch(() => undefined));
    return cached;
  }
  return refresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === PAGE) {
    event.respondWith(pageFirstFromNetwork(request));
  } else if (ASSETS.includes(url.pathname)) {
    event.respondWith(assetFromCache(request, event));
  }
});

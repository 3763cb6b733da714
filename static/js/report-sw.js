/* Service worker for /report: keeps the page shell so the form opens with no network.
 *
 * The page itself is network-first (a fresh page carries a fresh CSRF token
 * and the logged-in user), falling back to the cached copy; its scripts and
 * styles are cache-first and refreshed in the background. Nothing else is
 * touched but the boundaries the form places a position in (AREAS: served from
 * the cache, refreshed in the background, matched with their query): other API
 * calls, and every POST, go straight to the network, because the page's own
 * outbox (IndexedDB) decides what to retry. */
"use strict";

const CACHE = "relief-report-v4";
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
const PAGE_TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE)
    .then((cache) => cache.addAll([PAGE, ...ASSETS]).then(() => cache.addAll(AREAS).catch(() => undefined)))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith("relief-report-") && n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); }, (error) => { clearTimeout(timer); reject(error); });
  });
}

async function pageFirstFromNetwork(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await withTimeout(fetch(request), PAGE_TIMEOUT_MS);
    if (response.ok) {
      await cache.put(PAGE, response.clone());
      return response;
    }
    return (await cache.match(PAGE)) || response;  // a gateway's 502/503 is no better than no network
  } catch (error) {
    const cached = await cache.match(PAGE);
    if (cached) return cached;
    throw error;
  }
}

async function assetFromCache(request, event, { ignoreSearch = true } = {}) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, { ignoreSearch });
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
  } else if (AREAS.includes(url.pathname + url.search)) {
    event.respondWith(assetFromCache(request, event, { ignoreSearch: false }));
  }
});

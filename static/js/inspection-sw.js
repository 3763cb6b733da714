/* Service worker for /inspections/: keeps the inspection form so it opens with no network.
 *
 * Pages under the scope are network-first (a fresh page carries a fresh CSRF token and the house's
 * stage), falling back to the copy kept for that same address. A page's first load comes before the
 * worker, so the page asks for its own address to be kept: postMessage({keep: url}, [port]), answered
 * {kept} on the port once it is in the cache. Scripts and styles are cache-first and refreshed in the
 * background. Every other request, every POST included, goes straight to the network: the page's own
 * outbox (IndexedDB) decides what to retry, so nothing here can send an inspection twice. */
"use strict";

const CACHE = "relief-inspection-v2";
const SCOPE = "/inspections/";
const ASSETS = [
  "/static/js/common.js",
  "/static/js/inspection.js",
  "/static/css/relief.css",
  "/static/css/reconstruction.css",
];
const PAGE_TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith("relief-inspection-") && n !== CACHE)
      .map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

function inScope(url) {
  return url.origin === self.location.origin && url.pathname.startsWith(SCOPE);
}

self.addEventListener("message", (event) => {
  const asked = event.data && event.data.keep;
  if (!asked) return;
  const url = new URL(asked, self.location.origin);
  const reply = (kept) => { if (event.ports && event.ports[0]) event.ports[0].postMessage({ kept }); };
  if (!inScope(url)) { reply(false); return; }
  event.waitUntil(caches.open(CACHE)
    .then((cache) => fetch(url.href, { credentials: "same-origin" }).then((response) => {
      if (!response.ok || response.redirected) return false;
      return cache.put(url.href, response).then(() => true);
    }).catch(() => cache.match(url.href).then(Boolean)))
    .then(reply, () => reply(false)));
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); }, (error) => { clearTimeout(timer); reject(error); });
  });
}

async function pageFromNetworkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await withTimeout(fetch(request), PAGE_TIMEOUT_MS);
    if (response.ok && !response.redirected) {
      await cache.put(request.url, response.clone());
      return response;
    }
    return (await cache.match(request.url)) || response;
  } catch (error) {
    const kept = await cache.match(request.url);
    if (kept) return kept;
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
  if (request.mode === "navigate" && inScope(url)) {
    event.respondWith(pageFromNetworkFirst(request));
  } else if (ASSETS.includes(url.pathname)) {
    event.respondWith(assetFromCache(request, event));
  }
});

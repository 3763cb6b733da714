/* Service worker for /inspections/: keeps the inspection form so it opens with no network.
 *
 * Pages under the scope are network-first (a fresh page carries a fresh CSRF token and the house's
 * stage), falling back to the copy kept for that same address (rules in sw-kit.js). A page's first
 * load comes before the worker, so the page asks for its own address to be kept:
 * postMessage({keep: url}, [port]), answered {kept} on the port once it is in the cache. Scripts and
 * styles are cache-first and refreshed in the background. Every other request, every POST included,
 * goes straight to the network: the page's own outbox (IndexedDB) decides what to retry, so nothing
 * here can send an inspection twice. */
"use strict";

importScripts("/static/js/sw-kit.js");
const { keepOnInstall, dropOlderCaches, pageFromNetworkFirst, assetFromCache, sameOriginGet } = self.reliefWorker;

const CACHE = "relief-inspection-v3";
const SCOPE = "/inspections/";
const ASSETS = [
  "/static/js/common.js",
  "/static/js/inspection.js",
  "/static/css/relief.css",
  "/static/css/reconstruction.css",
];

keepOnInstall(CACHE, ASSETS);
dropOlderCaches(CACHE);

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

const ADDRESS_COPIES = {
  keep: (cache, request, response) => cache.put(request.url, response),
  kept: (cache, request) => cache.match(request.url),
};

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (!sameOriginGet(request)) return;
  const url = new URL(request.url);
  if (request.mode === "navigate" && inScope(url)) {
    event.respondWith(pageFromNetworkFirst(CACHE, request, ADDRESS_COPIES));
  } else if (ASSETS.includes(url.pathname)) {
    event.respondWith(assetFromCache(CACHE, request, event));
  }
});

/* What the offline pages' service workers share (report-sw.js, stock-sw.js, inspection-sw.js).
 *
 * Loaded with importScripts, so each worker keeps only what is its own: its cache name, the pages it
 * answers for and where it keeps them, and its list of scripts and styles. The rules kept here once:
 * a page is network-first with a timeout; a good answer (200, not a redirect to the login page) is
 * kept; a server error or no network shows the kept copy; a refusal or a login redirect is the
 * answer, never a reason to show an old page. Scripts and styles are cache-first and refreshed in
 * the background. POSTs never pass through here: each page's outbox decides what to send again. */
"use strict";

self.reliefWorker = (() => {
  const PAGE_TIMEOUT_MS = 4000;

  function withTimeout(promise, ms) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timeout")), ms);
      promise.then((value) => { clearTimeout(timer); resolve(value); },
        (error) => { clearTimeout(timer); reject(error); });
    });
  }

  /** On install keep `urls` (all must answer) and `optional` (kept if they answer), then take over. */
  function keepOnInstall(cacheName, urls, optional = []) {
    self.addEventListener("install", (event) => {
      event.waitUntil(caches.open(cacheName)
        .then((cache) => cache.addAll(urls).then(() => cache.addAll(optional).catch(() => undefined)))
        .then(() => self.skipWaiting()));
    });
  }

  /** On activate drop this worker's older caches: the same name up to its version, another version. */
  function dropOlderCaches(cacheName) {
    const prefix = cacheName.replace(/v\d+$/, "");
    self.addEventListener("activate", (event) => {
      event.waitUntil(caches.keys()
        .then((names) => Promise.all(names.filter((n) => n.startsWith(prefix) && n !== cacheName)
          .map((n) => caches.delete(n))))
        .then(() => self.clients.claim()));
    });
  }

  /** A page from the network, else its kept copy: `keep(cache, request, response)` stores a good
   * answer, `kept(cache, request)` finds the copy to show. */
  async function pageFromNetworkFirst(cacheName, request, { keep, kept }) {
    const cache = await caches.open(cacheName);
    try {
      const response = await withTimeout(fetch(request), PAGE_TIMEOUT_MS);
      if (response.ok && !response.redirected) {
        await keep(cache, request, response.clone());
        return response;
      }
      if (response.status >= 500) return (await kept(cache, request)) || response;  // a gateway's 502 is no better than no network
      return response;
    } catch (error) {
      const copy = await kept(cache, request);
      if (copy) return copy;
      throw error;
    }
  }

  /** A script, style or boundary file from the cache at once, refreshed from the network behind it. */
  async function assetFromCache(cacheName, request, event, { ignoreSearch = true } = {}) {
    const cache = await caches.open(cacheName);
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

  /** Whether a request is a same-origin GET, the only kind a worker here answers. */
  function sameOriginGet(request) {
    return request.method === "GET" && new URL(request.url).origin === self.location.origin;
  }

  return { withTimeout, keepOnInstall, dropOlderCaches, pageFromNetworkFirst, assetFromCache, sameOriginGet };
})();

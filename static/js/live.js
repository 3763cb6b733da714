/* Live updates: one Socket.IO connection to namespace /live, changes patched in place.
 *
 * Order of start-up: the base map loads while the socket connects and
 * subscribes (the answer names the last event seq); only then are the live
 * layers loaded, and what arrived meanwhile is applied after them; so no
 * change can fall between a layer's load and the subscription. Afterwards the
 * subscription follows the counties in view (all of them: no county list).
 * A county that comes back into view, or a reconnect, is caught up from the
 * last seq seen; the server answers reload when too much was missed. Each
 * event is applied once (by seq), and never over a newer state of the same
 * feature. The indicator in the map's corner says live / reconnecting / offline.
 * The topics subscribed to are the server's list (relief.styles.topics, from GET /api/map/styles).
 */
(function () {
  "use strict";
  const R = window.relief, word = R.word, el = R.el;
  const topics = async () => (await R.loadStyles()).topics;
  const FIRST_CONNECT_WAIT_MS = 1500, SEEN_MAX = 5000, FEED_MAX = 30;
  const LIVE_LAYERS = ["incidents", "sites", "depots", "facilities", "households"];
  const live = R.live = { lastSeq: null, seen: new Set(), seenOrder: [], queue: [], areas: null, leftAt: {},
    state: "connecting", failures: 0, received: 0, loadedBeforeSubscribe: false };

  function setState(state) {
    live.state = state;
    R.connection.dataset.state = state;
    R.connection.textContent = word(state);
  }

  const socket = live.socket = io("/live", { path: "/socket.io", transports: ["websocket", "polling"], tryAllTransports: true,
    reconnectionDelay: 500, reconnectionDelayMax: 5000, timeout: 8000 });
  function ask(name, data) {
    return new Promise((resolve) => socket.timeout(8000).emit(name, data, (error, answer) => resolve(error ? null : answer)));
  }

  // ---- which counties are in view -----------------------------------------------------------
  let countyBounds = null;
  function countiesInView() {
    const counties = (R.areaData.county || { features: [] }).features;
    if (!counties.length) return null;
    if (!countyBounds || countyBounds.size !== counties.length) {
      countyBounds = new Map(counties.map((f) => [f.id, L.geoJSON(f).getBounds()]));
    }
    const view = R.map.getBounds();
    const inView = [...countyBounds].filter(([, b]) => view.intersects(b)).map(([code]) => code).sort();
    return inView.length === countyBounds.size ? null : inView;
  }
  const same = (a, b) => (a === null || b === null ? a === b : a.join() === b.join());

  const resubscribe = R.debounce(async () => {
    if (!socket.connected || live.lastSeq === null) return;
    const before = live.areas, after = countiesInView();
    if (same(before, after)) return;
    const all = [...countyBounds.keys()];
    const had = before || all, has = after || all;
    had.filter((c) => !has.includes(c)).forEach((c) => { live.leftAt[c] = live.lastSeq; });
    const back = has.filter((c) => !had.includes(c));
    live.areas = after;
    await ask("subscribe", { topics: await topics(), areas: after || [] });
    if (back.length) {
      const since = Math.min(...back.map((c) => live.leftAt[c] ?? live.lastSeq));
      await catchUp(since, back);
    }
  }, 300);

  // ---- applying events -------------------------------------------------------------------------
  const featureOf = (p) => (p && (p.feature || (p.type === "Feature" ? p : null))) || null;
  const reloaders = {};
  function reloadSoon(name) {
    reloaders[name] = reloaders[name] || R.debounce(() => R.reload(name).catch((e) => console.warn("reload", name, e)), 500);
    reloaders[name]();
  }
  const SITE_FIELDS = ["occupants", "free_capacity", "m2_per_person", "capacity_persons", "status", "days_of_cover"];

  function handle(event) {
    const p = event.payload || {}, feature = featureOf(p);
    switch (event.topic) {
      case "incidents":
      case "reports":
        if (feature) R.patchers.incidents(feature, event.seq, event.kind === "incident.created");
        else reloadSoon("incidents");
        break;
      case "sites": {
        const id = feature ? feature.id : p.site_id;
        if (feature) R.patchers.sites(feature, event.seq);
        else if (id && R.byId.sites.has(id)) {
          const props = {};
          SITE_FIELDS.forEach((k) => { if (k in p) props[k] = p[k]; });
          R.patchers.sites({ id, properties: props }, event.seq);
        } else reloadSoon("sites");
        break;
      }
      case "stock": {  // a site's stock shows only as days of cover (read on demand); a depot's as its state
        const site = p.holder_kind === "site" || (feature && !p.holder_kind && R.byId.sites.has(feature.id));
        if (feature) R.patchers[site ? "sites" : "depots"](feature, event.seq);
        else if (site) R.coverStale(event.area_code);
        else reloadSoon("depots");
        break;
      }
      case "guarantees":  // guarantee.counts (everyone) moves area counts; guarantee.changed (staff) household points
        R.households.apply(event);
        break;
      case "dispatch":
        reloadSoon("depots");
        break;
      case "reconstruction":  // house.changed, house.stalled (staff): reconstruction_layer.js recolours the house
        if (R.reconstruction && R.reconstruction.apply) R.reconstruction.apply(event);
        break;
      case "areas":
        reloadAll(["areas", ...LIVE_LAYERS]);
        break;
      default:
        break;
    }
  }
  function remember(seq) {
    live.seen.add(seq);
    live.seenOrder.push(seq);
    if (live.seenOrder.length > SEEN_MAX) live.seen.delete(live.seenOrder.shift());
  }
  function apply(event) {
    if (live.queue) { live.queue.push(event); return; }
    if (live.seen.has(event.seq)) return;
    remember(event.seq);
    if (live.lastSeq === null || event.seq > live.lastSeq) live.lastSeq = event.seq;
    live.received += 1;
    try { handle(event); } catch (error) { console.warn("could not apply", event.kind, error); }
    feed(event);
  }
  function flush() {
    const queued = live.queue || [];
    live.queue = null;
    queued.sort((a, b) => a.seq - b.seq).forEach(apply);
  }
  async function reloadAll(names) {
    const owner = !live.queue;
    if (owner) live.queue = [];
    try { for (const name of names) await R.reload(name); } finally { if (owner) flush(); }
  }
  async function catchUp(since, areas) {
    const answer = await ask("catch_up", { since, topics: await topics(), areas: areas || [] });
    if (!answer || answer.error) return;
    if (answer.reload) {
      await reloadAll(LIVE_LAYERS);
      live.lastSeq = Math.max(live.lastSeq || 0, answer.latest_seq);
      return;
    }
    answer.events.forEach(apply);
  }

  // ---- the feed of latest changes ---------------------------------------------------------------
  /* guarantee.counts is the public's form of guarantee.changed: staff, who hear both, list the change once. */
  function feed(event) {
    const list = document.getElementById("feed");
    if (!list || (event.kind === "guarantee.counts" && live.staff)) return;
    const p = event.payload || {}, f = featureOf(p);
    const what = (f && (f.properties.title || f.properties.name)) || p.title || p.name || p.site_id || p.holder_id || "";
    const changes = Array.isArray(p.changes) ? ` (${p.changes.length})` : "";
    const kind = event.kind === "guarantee.counts" ? "guarantee.changed" : event.kind;
    const li = el("li", { class: "fresh", "data-seq": event.seq });
    li.appendChild(el("time", { datetime: event.at }, R.fmtTime(event.at, { timeOnly: true })));
    li.appendChild(document.createTextNode(`${word(kind)}${changes}${what ? " · " + what : ""}`));
    list.prepend(li);
    while (list.children.length > FEED_MAX) list.lastElementChild.remove();
  }

  // ---- connection life cycle ----------------------------------------------------------------------
  let firstSubscribed;
  const first = new Promise((resolve) => { firstSubscribed = resolve; });
  socket.on("connect", async () => {
    live.failures = 0;
    setState("live");
    live.areas = countiesInView();
    const answer = await ask("subscribe", { topics: await topics(), areas: live.areas || [] });
    if (!answer) return;
    live.staff = answer.staff;
    if (live.lastSeq === null) {
      live.lastSeq = answer.latest_seq;
      firstSubscribed(answer);
      if (live.loadedBeforeSubscribe) reloadAll(LIVE_LAYERS);
    } else {
      await catchUp(live.lastSeq, live.areas);
    }
  });
  socket.on("event", apply);
  socket.on("disconnect", (reason) => setState(reason === "io client disconnect" ? "offline" : "reconnecting"));
  socket.on("connect_error", () => {
    live.failures += 1;
    setState(live.failures >= 3 || !navigator.onLine ? "offline" : "reconnecting");
  });
  window.addEventListener("offline", () => setState("offline"));
  window.addEventListener("online", () => { if (!socket.connected) { setState("reconnecting"); socket.connect(); } });

  R.ready = (async () => {
    const base = R.loadBase();
    await Promise.race([first, new Promise((resolve) => setTimeout(resolve, FIRST_CONNECT_WAIT_MS))]);
    live.loadedBeforeSubscribe = live.lastSeq === null;
    await base;
    try { await R.loadLive(); } finally { flush(); }
    R.map.on("moveend", resubscribe);
  })();
  R.ready.catch((error) => {
    console.warn("map layers failed to load", error);
    document.body.setAttribute("data-map-ready", "error");
  });
})();

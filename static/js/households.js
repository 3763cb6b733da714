/* Households on the live map, fast at 100,000 and more.
 *
 * Zoomed out, a choropleth of the five guarantees per township, then per
 * village (GET /api/guarantees/summary); zoomed in, staff see clustered
 * household points for the part of the map in view only
 * (GET /api/households/points?bbox=…). The page never holds a marker per
 * household of the prefecture. guarantee.counts events (public: per village,
 * households into and out of each verdict) move the counts in place;
 * guarantee.changed events (staff only: per household) recolour the points.
 * Counts and points carry the event seq they include, so an event is applied
 * only on top of data that lacks it.
 */
(function () {
  "use strict";
  const R = window.relief, map = R.map, el = R.el, word = R.word;
  const S = () => R.styles;
  const H = R.households = { summaries: {}, shapes: {}, choropleths: {}, byCode: {}, points: null, pointsSeq: 0,
    pointsBox: null, recent: [], selected: null, token: 0 };
  R.byId.households = new Map();
  const POINTS_LIMIT = 20000;

  function modeFor(zoom) {
    const z = S().household_zoom;
    if (zoom >= z.points && R.staff) return "points";
    return zoom >= z.village ? "village" : "township";
  }
  const guarantees = () => S().guarantees;
  const complete = (v) => guarantees().every((g) => g in v);
  function worstOf(verdicts) {
    if (!verdicts || Object.keys(verdicts).length === 0) return "unknown";
    return complete(verdicts) ? R.worstStatus(guarantees().map((g) => verdicts[g])) : null;
  }
  function bump(counts, key, by) {
    counts[key] = (counts[key] || 0) + by;
    return counts[key] >= 0;
  }

  // ---- choropleth ------------------------------------------------------------------------
  const inFlight = {};
  async function summary(level, force) {
    if (H.summaries[level] && !force) return H.summaries[level];
    if (!inFlight[level]) {
      inFlight[level] = R.getJSON(`/api/guarantees/summary?level=${level}`).then((loaded) => {
        H.summaries[level] = loaded;
        H.recent.filter((e) => e.seq > loaded.seq).forEach((e) => applyToSummary(level, e));
        return loaded;
      }).finally(() => { delete inFlight[level]; });
    }
    return inFlight[level];
  }
  async function shapes(level) {
    if (level === "township") return R.areaData.township;
    if (!H.shapes.village) {
      H.shapes.village = await R.getJSON("/api/map/areas?level=village");
      H.shapes.village.features.forEach((f) => R.areaNames.set(f.id, { zh: f.properties.name_zh, en: f.properties.name_en, level: "village" }));
    }
    return H.shapes.village;
  }
  function styleOf(level, code) {
    const entry = (H.summaries[level] || { areas: {} }).areas[code];
    const klass = R.areaClass(entry ? entry.worst : {});
    const faint = ["unknown", "empty", "not_applicable"].includes(klass);
    return { color: "#ffffff", weight: level === "village" ? 0.5 : 0.8, opacity: 0.9, fillColor: S().area_class_colours[klass],
      fillOpacity: faint ? 0.15 : H.mode === "points" ? 0.3 : 0.55 };
  }
  function tooltip(level, feature) {
    const entry = (H.summaries[level] || { areas: {} }).areas[feature.id] || { households: 0, worst: {} };
    const box = el("div");
    box.appendChild(el("strong", {}, R.areaName(feature.id)));
    box.appendChild(el("div", {}, `${R.fmtNumber(entry.households)} ${word("households")} · ${word("unmet")} ${R.fmtNumber(entry.worst.unmet || 0)} · ${word("at_risk")} ${R.fmtNumber(entry.worst.at_risk || 0)}`));
    return box;
  }
  async function choropleth(level) {
    if (!H.choropleths[level]) {
      const fc = await shapes(level);
      const index = H.byCode[level] = new Map();
      H.choropleths[level] = L.geoJSON(fc, { pane: "choropleth", style: (f) => styleOf(level, f.id),
        onEachFeature: (f, layer) => {
          index.set(f.id, layer);
          layer.bindTooltip(() => tooltip(level, f), { sticky: true });
          layer.on("click", () => H.showArea(level, f.id));
        } });
    }
    return H.choropleths[level];
  }
  function restyle(level, codes) {
    const index = H.byCode[level];
    if (!index) return;
    (codes ? [...codes] : [...index.keys()]).forEach((code) => { const layer = index.get(code); if (layer) layer.setStyle(styleOf(level, code)); });
  }

  // ---- points (staff, zoomed in) ------------------------------------------------------------
  function householdCluster(cluster) {
    const worst = {};
    cluster.getAllChildMarkers().forEach((m) => { worst[m.options.worst] = (worst[m.options.worst] || 0) + 1; });
    const n = cluster.getChildCount(), size = n < 50 ? 30 : n < 500 ? 36 : 42;
    return L.divIcon({ className: "relief-cluster", iconSize: [size, size], html: R.disc(S().area_class_colours[R.areaClass(worst)], n) });
  }
  /* The server's words for reason codes (map.html #relief-reasons: {profile: {guarantee: {code: sentence}}}). */
  const reasonWords = (() => {
    const inline = document.getElementById("relief-reasons");
    return inline ? JSON.parse(inline.textContent) : {};
  })();
  function reasonLines(box, answer) {
    const words = reasonWords[answer.profile] || reasonWords.normal || {};
    const rows = guarantees().filter((g) => answer[g] === "unmet" || answer[g] === "at_risk")
      .map((g) => [word(g), ((words[g] || {})[answer.reason_codes[g]]) || answer.reason_codes[g]]);
    if (rows.length) box.appendChild(R.table(rows));
  }
  function householdPopup(id, marker) {
    const box = el("div", { class: "popup" });
    box.appendChild(el("strong", {}, `${word("household")} ${id}`));
    box.appendChild(R.table([[word("worst"), R.badge(word(marker.options.worst), S().guarantee_colours[marker.options.worst])]]));
    R.getJSON(`/api/households/${encodeURIComponent(id)}/guarantees`).then((answer) => reasonLines(box, answer))
      .catch((e) => console.warn("household reasons", e));
    return box;
  }
  async function loadPoints(token) {
    const view = map.getBounds();
    if (H.points && H.pointsBox && H.pointsBox.contains(view)) { H.points.addTo(map); return; }
    const wide = view.pad(0.25);
    const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi).toFixed(4);
    const bbox = [clamp(wide.getWest(), -180, 180), clamp(wide.getSouth(), -90, 90), clamp(wide.getEast(), -180, 180), clamp(wide.getNorth(), -90, 90)];
    const data = await R.getJSON(`/api/households/points?bbox=${bbox.join(",")}&limit=${POINTS_LIMIT}`);
    if (token !== H.token) return;
    if (!H.points) {
      H.points = L.markerClusterGroup({ chunkedLoading: true, maxClusterRadius: 45, disableClusteringAtZoom: 17,
        showCoverageOnHover: false, spiderfyOnMaxZoom: false, iconCreateFunction: householdCluster });
    }
    H.points.clearLayers();
    R.byId.households.clear();
    const colours = S().guarantee_colours;
    const markers = data.points.map(([lon, lat, id, worst]) => {
      const marker = L.circleMarker([lat, lon], { radius: 5, weight: 1, color: "#ffffff", fillColor: colours[worst], fillOpacity: 0.95, worst });
      marker.bindPopup(() => householdPopup(id, marker));
      R.byId.households.set(id, marker);
      return marker;
    });
    H.points.addLayers(markers);
    H.pointsSeq = data.seq;
    H.pointsBox = L.latLngBounds([[+bbox[1], +bbox[0]], [+bbox[3], +bbox[2]]]);
    H.recent.filter((e) => e.seq > data.seq).forEach(applyToPoints);
    R.note.textContent = data.total > data.points.length
      ? `${R.fmtNumber(data.points.length)} ${word("shown_of")} ${R.fmtNumber(data.total)} — ${word("zoom_in_more")}` : "";
    H.points.addTo(map);
  }

  // ---- switching by zoom ----------------------------------------------------------------
  H.update = async function () {
    const token = ++H.token;
    const mode = R.isOn("households") ? modeFor(map.getZoom()) : null;
    const level = mode === "points" ? "village" : mode;  // village colours stay under the points, for context
    const restyleAll = H.mode !== mode;
    H.mode = mode;
    ["township", "village"].forEach((l) => { if (level !== l && H.choropleths[l]) map.removeLayer(H.choropleths[l]); });
    if (mode !== "points") {
      if (H.points) map.removeLayer(H.points);
      R.note.textContent = "";
    }
    if (!mode) return 0;
    await summary(level);
    const layer = await choropleth(level);
    if (token !== H.token) return 0;
    if (restyleAll || !map.hasLayer(layer)) restyle(level);
    layer.addTo(map);
    if (mode === "points") { await loadPoints(token); return R.byId.households.size; }
    return Object.keys(H.summaries[level].areas).length;
  };
  H.reset = function () {
    Object.values(H.choropleths).forEach((layer) => map.removeLayer(layer));
    if (H.points) { map.removeLayer(H.points); H.points.clearLayers(); }
    Object.assign(H, { summaries: {}, shapes: {}, choropleths: {}, byCode: {}, pointsBox: null });
    R.byId.households.clear();
  };
  R.loaders.households = async function () { H.reset(); return H.update(); };
  map.on("zoomend moveend", R.debounce(() => H.update().catch((e) => console.warn("households", e)), 150));

  // ---- live: guarantee.counts moves area counts, guarantee.changed recolours points ----------------
  const refetch = {
    village: R.debounce(() => summary("village", true).then(() => restyle("village")), 800),
    township: R.debounce(() => summary("township", true).then(() => restyle("township")), 800),
    points: R.debounce(() => { H.pointsBox = null; H.update(); }, 800),
  };
  const COUNTS = "guarantee.counts", CHANGED = "guarantee.changed";
  function applyToSummary(level, event) {
    const s = H.summaries[level];
    if (event.kind !== COUNTS || !s || event.seq <= s.seq) return;
    const changed = new Set();
    let exact = true;
    Object.entries(event.payload.villages || {}).forEach(([village, moved]) => {
      const code = level === "village" ? village : (s.parents || {})[village];
      if (!code) { exact = false; return; }
      const entry = s.areas[code] || (s.areas[code] = { households: 0, worst: {}, guarantees: {} });
      Object.entries(moved.guarantees || {}).forEach(([g, counts]) => {
        const into = entry.guarantees[g] || (entry.guarantees[g] = {});
        Object.entries(counts).forEach(([status, by]) => { exact = bump(into, status, by) && exact; });
      });
      Object.entries(moved.worst || {}).forEach(([status, by]) => { exact = bump(entry.worst, status, by) && exact; });
      changed.add(code);
    });
    restyle(level, changed);
    if (!exact) refetch[level]();
    if (H.selected && H.selected.level === level && changed.has(H.selected.code)) H.showArea(level, H.selected.code);
  }
  function applyToPoints(event) {
    if (event.kind !== CHANGED || !H.points || event.seq <= H.pointsSeq) return;
    (event.payload.changes || []).forEach((c) => {
      const marker = R.byId.households.get(c.household_id);
      if (!marker) return;
      const worst = worstOf(c.after || {});
      if (worst === null) { refetch.points(); return; }
      marker.options.worst = worst;
      marker.setStyle({ fillColor: S().guarantee_colours[worst] });
      H.points.refreshClusters(marker);
    });
  }
  H.apply = function (event) {
    H.recent.push(event);
    if (H.recent.length > 500) H.recent.shift();
    applyToSummary("village", event);
    applyToSummary("township", event);
    applyToPoints(event);
  };

  // ---- side panel: an area's guarantee counts -----------------------------------------------
  H.showArea = async function (level, code) {
    H.selected = { level, code };
    const s = await summary(level).catch(() => null);
    const entry = (s && s.areas[code]) || { households: 0, worst: {}, guarantees: {} };
    const panel = R.details(`${R.areaName(code)} · ${word(level)}`);
    const klass = R.areaClass(entry.worst);
    panel.appendChild(R.table([[word("households"), R.fmtNumber(entry.households)],
      [word("worst"), R.badge(word(klass === "empty" ? "no_households" : klass), S().area_class_colours[klass])]]));
    const statuses = S().verdicts_worst_first.filter((st) => guarantees().some((g) => ((entry.guarantees[g] || {})[st] || 0) > 0));
    if (!statuses.length) return;
    const grid = panel.appendChild(el("table", { class: "grid" }));
    const head = grid.appendChild(el("tr"));
    head.appendChild(el("th"));
    statuses.forEach((st) => {  // colour swatches as headers (the legend names them), the word as a tooltip
      const th = head.appendChild(el("th", { title: word(st), "aria-label": word(st) }));
      const sw = th.appendChild(el("i", { class: "sw" }));
      sw.style.background = S().guarantee_colours[st];
    });
    guarantees().forEach((g) => {
      const tr = grid.appendChild(el("tr"));
      tr.appendChild(el("th", {}, word(g)));
      statuses.forEach((st) => tr.appendChild(el("td", {}, R.fmtNumber((entry.guarantees[g] || {})[st] || 0))));
    });
  };
})();

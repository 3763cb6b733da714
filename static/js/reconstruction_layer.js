/* Reconstruction on the live map: township progress zoomed out, houses by stage zoomed in (staff only).
 *
 * A layer the user switches on in the legend (off at first). Zoomed out, each township is filled by its
 * share of enrolled houses completed (GET /api/reconstruction/summary?by=township); from
 * relief.styles.reconstruction_zoom.points on, staff who see houses get a point per house in view only
 * (GET /api/houses?bbox=…), coloured by stage, a stalled one outlined. Colours come from
 * GET /api/map/styles (maps/styles.py); words from the server (this script tag's data-settings).
 * live.js hands over every event of the reconstruction topic: house.changed and house.stalled carry the
 * house's Feature, which recolours (or adds) its point in place; the township progress is fetched again
 * shortly after. Events that arrive while a load is under way are applied after it, in seq order.
 * Points are SVG paths marked data-house, so what the map shows can be read from the page.
 */
(function () {
  "use strict";
  const R = window.relief, map = R.map, el = R.el;
  const setup = JSON.parse(document.currentScript.dataset.settings || "{}");
  const words = setup.words || {};
  const w = (key) => words[key] || String(key).replace(/_/g, " ");
  const stageWord = (stage) => (words.stages || {})[stage] || w(stage);
  const S = () => R.styles;
  const POINTS_LIMIT = 5000;
  const X = R.reconstruction = { on: false, mode: null, byId: new Map(), summary: null, choropleth: null, byCode: new Map(),
    points: null, pointsBox: null, token: 0, loading: 0, pending: [], applied: 0 };
  if (!setup.staff) return;  // the public map has no reconstruction layer
  const mapWord = R.word;  // the feed (live.js) names events through relief.word: ours in the user's language too
  R.word = (key) => ((words.events || {})[key] || mapWord(key));
  const renderer = L.svg({ padding: 0.3 });

  const modeFor = (zoom) => (zoom >= S().reconstruction_zoom.points && setup.seesHouses ? "points" : "townships");

  /* Twin of maps.styles.progress_colour. */
  X.progressColour = function (rate) {
    if (rate === null || rate === undefined) return S().progress_none;
    const breaks = S().progress_breaks, colours = S().progress_colours;
    for (let i = 0; i < breaks.length; i += 1) if (rate < breaks[i]) return colours[i];
    return colours[colours.length - 1];
  };

  // ---- township progress -----------------------------------------------------------------
  function rowOf(code) { return ((X.summary || { rows: [] }).byCode || {})[code] || null; }
  function townshipStyle(code) {
    const row = rowOf(code);
    const rate = row ? row.completed_rate : null;
    return { color: "#ffffff", weight: 0.8, opacity: 0.9, fillColor: X.progressColour(rate), fillOpacity: rate === null ? 0.2 : 0.7 };
  }
  function townshipTip(feature) {
    const row = rowOf(feature.id), box = el("div");
    box.appendChild(el("strong", {}, R.areaName(feature.id)));
    if (!row || row.completed_rate === null) { box.appendChild(el("div", {}, w("no_houses"))); return box; }
    const pct = (r) => (r === null || r === undefined ? "–" : `${Math.round(r * 100)} %`);
    box.appendChild(R.table([[w("enrolled"), R.fmtNumber(row.enrolled)], [w("started_rate"), pct(row.started_rate)],
      [w("completed_rate"), pct(row.completed_rate)], [w("moved_in_rate"), pct(row.moved_in_rate)],
      [w("stalled"), R.fmtNumber(row.stalled)]]));
    return box;
  }
  async function loadSummary() {
    const answer = await R.getJSON("/api/reconstruction/summary?by=township");
    answer.byCode = {};
    answer.rows.forEach((row) => { if (row.code) answer.byCode[row.code] = row; });
    X.summary = answer;
    X.byCode.forEach((layer, code) => layer.setStyle(townshipStyle(code)));
    return answer;
  }
  function townships() {
    if (!X.choropleth) {
      X.choropleth = L.geoJSON(R.areaData.township, { pane: "choropleth", style: (f) => townshipStyle(f.id),
        onEachFeature: (f, layer) => {
          X.byCode.set(f.id, layer);
          layer.bindTooltip(() => townshipTip(f), { sticky: true });
        } });
    }
    return X.choropleth;
  }
  const refreshSummary = R.debounce(() => { if (X.on) loadSummary().catch((e) => console.warn("reconstruction summary", e)); }, 800);

  // ---- houses by stage ---------------------------------------------------------------------
  function pointStyle(p) {
    const stalled = Boolean(p.stalled);
    return { radius: 6, weight: stalled ? 2.5 : 1, color: stalled ? S().house_stalled_stroke : "#ffffff", opacity: 1,
      fillColor: S().house_stage_colours[p.stage] || S().progress_none, fillOpacity: 0.95 };
  }
  function popup(record) {
    const p = record.properties, box = el("div", { class: "popup" });
    box.appendChild(el("strong", {}, `${w("house")} ${record.id}`));
    box.appendChild(R.table([[w("stage"), R.badge(stageWord(p.stage), S().house_stage_colours[p.stage])],
      [w("days_in_stage"), R.fmtNumber(p.days_in_stage)], [w("stalled"), p.stalled ? w("yes") : null],
      [w("correction_required"), p.correction_required ? w("yes") : null]]));
    box.appendChild(el("a", { href: `/houses/${encodeURIComponent(record.id)}` }, w("open_house")));
    return box;
  }
  function mark(marker, id) {
    const path = marker.getElement && marker.getElement();
    if (path) { path.setAttribute("data-house", id); path.setAttribute("data-stage", marker.options.stage); }
  }
  function upsert(feature, seq) {
    const id = feature.id ?? feature.properties.id;
    const known = X.byId.get(id);
    if (known && seq && known.seq >= seq) return known;
    const geometry = feature.geometry || (known && known.geometry);
    if (!geometry) return null;
    const at = L.latLng(geometry.coordinates[1], geometry.coordinates[0]);
    const properties = { ...(known ? known.properties : {}), ...feature.properties };
    if (!known && !(X.pointsBox && X.pointsBox.contains(at))) return null;  // outside what this page loaded
    const record = known || { id };
    Object.assign(record, { geometry, properties, seq: seq || record.seq || 0 });
    if (known) {
      known.marker.options.stage = properties.stage;
      known.marker.setLatLng(at).setStyle(pointStyle(properties));
      mark(known.marker, id);
      if (known.marker.isPopupOpen()) known.marker.setPopupContent(popup(record));
    } else {
      record.marker = L.circleMarker(at, { renderer, stage: properties.stage, ...pointStyle(properties) })
        .bindPopup(() => popup(record), { maxWidth: 300 })
        .on("add", (e) => mark(e.target, id));
      X.byId.set(id, record);
      X.points.addLayer(record.marker);
    }
    return record;
  }
  async function loadPoints(token) {
    const view = map.getBounds();
    if (X.points && X.pointsBox && X.pointsBox.contains(view)) { X.points.addTo(map); return; }
    const wide = view.pad(0.25);
    const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi).toFixed(4);
    const bbox = [clamp(wide.getWest(), -180, 180), clamp(wide.getSouth(), -90, 90), clamp(wide.getEast(), -180, 180), clamp(wide.getNorth(), -90, 90)];
    const answer = await R.getJSON(`/api/houses?bbox=${bbox.join(",")}&limit=${POINTS_LIMIT}`);
    if (token !== X.token) return;
    if (!X.points) X.points = L.layerGroup();
    X.points.clearLayers();
    X.byId.clear();
    X.pointsBox = L.latLngBounds([[+bbox[1], +bbox[0]], [+bbox[3], +bbox[2]]]);
    answer.features.forEach((f) => upsert(f, 0));
    X.points.addTo(map);
  }

  // ---- switching by zoom and by the legend --------------------------------------------------------
  X.update = async function () {
    const token = ++X.token;
    const mode = X.on ? modeFor(map.getZoom()) : null;
    X.mode = mode;
    X.loading += 1;
    try {
      if (mode !== "points" && X.points) map.removeLayer(X.points);
      if (mode !== "townships" && X.choropleth) map.removeLayer(X.choropleth);
      if (mode === "townships") {
        if (!X.summary) await loadSummary();
        if (token !== X.token) return;
        townships().addTo(map);
      } else if (mode === "points") {
        await loadPoints(token);
      }
    } finally {
      X.loading -= 1;
      if (!X.loading) replay();
    }
    document.body.setAttribute("data-reconstruction", mode ? `${mode}:${X.token}` : "off");
  };
  X.reset = function () {
    if (X.points) { map.removeLayer(X.points); X.points.clearLayers(); }
    if (X.choropleth) map.removeLayer(X.choropleth);
    Object.assign(X, { summary: null, choropleth: null, pointsBox: null });
    X.byCode.clear();
    X.byId.clear();
  };
  map.on("zoomend moveend", R.debounce(() => { if (X.on) X.update().catch((e) => console.warn("reconstruction", e)); }, 150));

  // ---- live: house.changed / house.stalled ------------------------------------------------------
  function applyNow(event) {
    const feature = (event.payload || {}).house;
    if (feature && X.points) upsert(feature, event.seq);
    X.applied += 1;
    refreshSummary();
  }
  function replay() {
    const queued = X.pending.sort((a, b) => a.seq - b.seq);
    X.pending = [];
    queued.forEach(applyNow);
  }
  X.apply = function (event) {
    if (!X.on) { X.summary = null; return; }  // nothing shown: the next switch-on loads afresh
    if (X.loading) { X.pending.push(event); return; }
    applyNow(event);
  };

  // ---- the legend row (after the map's own rows) -------------------------------------------------
  function legend() {
    const box = document.getElementById("legend");
    if (!box || box.querySelector("input[data-overlay='reconstruction']")) return;
    const row = box.appendChild(el("label", { class: "row" }));
    const input = row.appendChild(el("input", { type: "checkbox", "data-overlay": "reconstruction" }));
    input.checked = X.on;
    row.appendChild(el("span", {}, w("layer")));
    input.addEventListener("change", () => {
      X.on = input.checked;
      X.update().catch((e) => console.warn("reconstruction", e));
    });
    const keys = box.appendChild(el("div", { class: "keys" }));
    const key = (label, colour, round) => {
      const span = keys.appendChild(el("span", { class: "key" }));
      const sw = span.appendChild(el("i", { class: `sw${round ? " round" : ""}` }));
      sw.style.background = colour;
      span.appendChild(document.createTextNode(label));
    };
    if (setup.seesHouses) S().house_stages.forEach((stage) => key(stageWord(stage), S().house_stage_colours[stage], true));
    const breaks = S().progress_breaks;
    S().progress_colours.forEach((colour, i) => {
      const low = i === 0 ? 0 : breaks[i - 1], high = i < breaks.length ? breaks[i] : 1;
      key(`${w("completed_rate")} ${Math.round(low * 100)}–${Math.round(high * 100)} %`, colour, false);
    });
    box.appendChild(el("p", { class: "note" }, w("hint")));
  }
  document.addEventListener("relief:layer-loaded", (e) => {
    const name = e.detail && e.detail.name;
    if (name === "areas") { legend(); if (X.on) { X.reset(); X.update().catch((err) => console.warn("reconstruction", err)); } }
    if (name === "households" && X.on) { X.reset(); X.update().catch((err) => console.warn("reconstruction", err)); }
  });
})();

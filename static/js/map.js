/* The live situation map: base map, boundaries, incidents, sites, depots, facilities, side panel.
 *
 * Everything comes from this app's own /api; no other host is contacted unless
 * an administrator set RELIEF_TILE_URL. Colours and symbols come from
 * GET /api/map/styles (maps/styles.py), the same tables the exported map uses.
 * Text that users typed only ever reaches the page through textContent.
 * DOM, fetch and formatting helpers are common.js's (window.relief); this file
 * adds the map to that object, and households.js the household layer and
 * live.js the websocket. Layers load when live.js calls relief.loadAll(),
 * after it has subscribed, so no change falls in between.
 */
(function () {
  "use strict";
  const settings = JSON.parse(document.getElementById("relief-settings").textContent);
  const t = JSON.parse(document.getElementById("relief-i18n").textContent);
  const { zh, el, getJSON, fmtNumber, fmtTime, debounce } = window.relief;
  const word = (key) => (key in t ? t[key] : String(key).replace(/_/g, " "));

  // ---- map-only DOM pieces (textContent only) ------------------------------------------
  function table(rows) {
    const tbl = el("table");
    rows.forEach(([label, value]) => {
      if (value === undefined || value === null || value === "") return;
      const tr = tbl.appendChild(el("tr"));
      tr.appendChild(el("th", {}, label));
      const td = tr.appendChild(el("td"));
      if (value instanceof Node) td.appendChild(value); else td.textContent = String(value);
    });
    return tbl;
  }
  function badge(text, colour) { const b = el("span", { class: "badge" }, text); b.style.background = colour; return b; }
  // A coloured disc with a count (cluster icons). Colours go through the CSSOM, never a style
  // attribute in markup: the Content-Security-Policy allows no inline styles.
  function disc(colour, text) { const d = el("div", {}, text); d.style.background = colour; return d; }
  function bar(share, colour) {
    const outer = el("div", { class: "bar" });
    const inner = outer.appendChild(el("i"));
    inner.style.width = `${Math.round(Math.min(Math.max(share, 0), 1) * 100)}%`;
    inner.style.background = colour;
    return outer;
  }
  async function fetchAll(url, pageSize = 5000) {
    const features = [];
    for (let offset = 0; offset !== null && offset !== undefined;) {
      const page = await getJSON(`${url}${url.includes("?") ? "&" : "?"}offset=${offset}&limit=${pageSize}`);
      features.push(...page.features);
      offset = page.page ? page.page.next_offset : null;
    }
    return features;
  }

  // ---- the map --------------------------------------------------------------------
  const map = L.map("map", { preferCanvas: true, zoomSnap: 0.25, minZoom: 6, maxZoom: 18, worldCopyJump: false })
    .setView([30.28, 109.48], 8);
  [["base", 200], ["choropleth", 380], ["hazards", 390], ["boundaries", 410], ["labels", 420]].forEach(([name, z]) => {
    const pane = map.createPane(name);
    pane.style.zIndex = z;
    if (name === "base" || name === "labels") pane.style.pointerEvents = "none";
  });
  L.control.scale({ imperial: false }).addTo(map);
  const zoomClass = () => map.getContainer().classList.toggle("relief-z-low", map.getZoom() < 9.5);
  map.on("zoomend", zoomClass);
  zoomClass();
  function control(position, className) {
    const Box = L.Control.extend({ onAdd() { const div = el("div", { class: className }); L.DomEvent.disableClickPropagation(div); return div; } });
    const box = new Box({ position });
    box.addTo(map);
    return box.getContainer();
  }
  const connection = control("topright", "conn");
  connection.dataset.state = "connecting";
  connection.textContent = word("connecting");
  const note = control("bottomleft", "map-note");

  const relief = Object.assign(window.relief, {
    map, settings, word, table, badge, disc, bar, fetchAll, connection, note,
    layers: {}, byId: { incidents: new Map(), sites: new Map(), depots: new Map(), facilities: new Map() },
    areaData: {}, areaNames: new Map(), staff: Boolean(settings.user), loaders: {}, patchers: {},
  });
  const S = () => relief.styles;

  // ---- classifiers: twins of maps/styles.py ---------------------------------------------
  relief.worstStatus = function (statuses) {
    const present = new Set(statuses.filter(Boolean));
    return S().verdicts_worst_first.find((s) => present.has(s)) || "unknown";
  };
  relief.areaClass = function (worst) {
    const n = (k) => Number((worst || {})[k] || 0);
    const unmet = n("unmet"), atRisk = n("at_risk"), met = n("met");
    const judged = unmet + atRisk + met;
    if (judged === 0) return n("unknown") ? "unknown" : n("not_applicable") ? "not_applicable" : "empty";
    if (unmet / judged >= S().area_unmet_share) return "unmet";
    if (unmet || atRisk / judged >= S().area_at_risk_share) return "at_risk";
    return "met";
  };
  relief.siteState = function (p) {
    if (p.status !== "open") return "closed";
    const ratio = p.capacity_persons ? (p.occupants || 0) / p.capacity_persons : 1;
    return ratio >= 1 ? "full" : ratio >= S().site_filling_share ? "filling" : "free";
  };
  relief.depotState = function (p) {
    if (typeof p.days_of_cover === "number") return p.days_of_cover <= 0 ? "empty" : p.days_of_cover < S().depot_low_days ? "low" : "stocked";
    const items = p.items_in_stock || 0;
    return items <= 0 ? "empty" : items < S().depot_low_items ? "low" : "stocked";
  };
  relief.areaName = function (code) {
    const n = relief.areaNames.get(code);
    return n ? (zh ? n.zh : n.en || n.zh) : code || "";
  };

  // ---- icons (our own markup only: colours and numbers, never user text) ------------------
  function kindSvg(kind, fill, size = 22) {
    const path = S().kind_shapes[kind] || S().kind_shapes.other;
    return `<svg width="${size}" height="${size}" viewBox="-1 -1 22 22" aria-hidden="true"><path d="${path}" fill="${fill}" stroke="#1d2733" stroke-width="1.4" stroke-linejoin="round"/></svg>`;
  }
  relief.kindSvg = kindSvg;
  function incidentIcon(p, fresh) {
    const body = el("div");
    body.innerHTML = kindSvg(p.kind, S().status_colours[p.status] || "#555");  // our own constant markup
    const colour = p.response_level && S().response_level_colours[p.response_level];
    if (colour) {
      const level = body.appendChild(el("b", { class: "level-badge" }, p.response_level.replace(/[^IV]/g, "")));
      level.style.background = colour;
    }
    return L.divIcon({ className: `relief-icon incident-icon${fresh ? " fresh" : ""}`, iconSize: [22, 22], iconAnchor: [11, 11],
      html: body });
  }
  function siteIcon(p) {
    const colour = S().site_state_colours[relief.siteState(p)];
    const share = p.capacity_persons ? Math.min((p.occupants || 0) / p.capacity_persons, 1) : 0;
    const h = Math.round(12 * share * 100) / 100;
    return L.divIcon({ className: "relief-icon site-icon", iconSize: [20, 20], iconAnchor: [10, 10],
      html: `<svg width="20" height="20" viewBox="0 0 20 20" aria-hidden="true"><path d="M10 1 L19 8 V19 H1 V8 Z" fill="#fff" stroke="${colour}" stroke-width="2"/><rect x="3" y="${17 - h}" width="14" height="${h}" fill="${colour}"/></svg>` });
  }
  function depotIcon(p) {
    const colour = S().depot_state_colours[relief.depotState(p)];
    return L.divIcon({ className: "relief-icon depot-icon", iconSize: [18, 18], iconAnchor: [9, 9],
      html: `<svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true"><rect x="1" y="1" width="16" height="16" rx="2" fill="${colour}" stroke="#fff" stroke-width="1.5"/><path d="M4 7 H14 M4 11 H14" stroke="#fff" stroke-width="1.5"/></svg>` });
  }
  function facilityIcon(p) {
    const colour = S().facility_colours[p.operating ? "operating" : "closed"];
    return L.divIcon({ className: "relief-icon facility-icon", iconSize: [14, 14], iconAnchor: [7, 7],
      html: `<svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true"><path d="M5 1 H9 V5 H13 V9 H9 V13 H5 V9 H1 V5 H5 Z" fill="${colour}" stroke="#fff" stroke-width="1"/></svg>` });
  }

  // ---- base map and boundaries ----------------------------------------------------------
  async function loadAreas() {
    const [prefecture, county, township] = await Promise.all(["prefecture", "county", "township"]
      .map((level) => getJSON(`/api/map/areas?level=${level}`)));
    Object.assign(relief.areaData, { prefecture, county, township });
    [prefecture, county, township].forEach((fc) => fc.features.forEach((f) =>
      relief.areaNames.set(f.id, { zh: f.properties.name_zh, en: f.properties.name_en, level: f.properties.level })));
    const base = S().base;
    if (relief.layers.base) map.removeLayer(relief.layers.base);
    if (relief.layers.areas) map.removeLayer(relief.layers.areas);
    const baseGroup = L.layerGroup();
    if (settings.tileUrl) {
      L.tileLayer(settings.tileUrl, { attribution: settings.tileAttribution || "", maxZoom: 18 }).addTo(baseGroup);
    } else {
      map.getContainer().style.background = base.background;
      L.geoJSON(county, { pane: "base", interactive: false, style: (f) => ({ stroke: false, fillOpacity: 1,
        fillColor: base.county_fills[county.features.indexOf(f) % base.county_fills.length] }) }).addTo(baseGroup);
    }
    const labels = { county: L.layerGroup(), township: L.layerGroup() };
    [county, township].forEach((fc, i) => fc.features.forEach((f) => {
      const level = i === 0 ? "county" : "township";
      const [lon, lat] = f.properties.label_at;
      L.marker([lat, lon], { pane: "labels", interactive: false, keyboard: false, icon: L.divIcon({ className: "relief-label",
        iconSize: [140, 16], iconAnchor: [70, 8], html: "" }) }).on("add", (e) => {
        const span = el("span", { class: `area-label ${level}` }, zh ? f.properties.name_zh : f.properties.name_en);
        e.target.getElement().replaceChildren(span);
      }).addTo(labels[level]);
    }));
    baseGroup.addLayer(labels.county);
    const showTownshipLabels = () => { if (map.getZoom() >= 10) baseGroup.addLayer(labels.township); else baseGroup.removeLayer(labels.township); };
    if (relief._townshipLabels) map.off("zoomend", relief._townshipLabels);
    relief._townshipLabels = showTownshipLabels;
    map.on("zoomend", showTownshipLabels);
    showTownshipLabels();
    relief.layers.base = baseGroup.addTo(map);

    const lines = L.layerGroup();
    [["township", township], ["county", county], ["prefecture", prefecture]].forEach(([level, fc]) => {
      L.geoJSON(fc, { pane: "boundaries", interactive: level !== "prefecture", style: () => ({ ...base[level], fill: level !== "prefecture", fillOpacity: 0 }),
        onEachFeature: (f, layer) => layer.bindTooltip(() => el("span", {}, `${f.properties.name_zh} · ${f.properties.name_en}`), { sticky: true }) })
        .addTo(lines);
    });
    relief.layers.areas = lines;
    if (relief.isOn("areas")) lines.addTo(map);
    const bounds = L.geoJSON(prefecture).getBounds();
    if (bounds.isValid() && !relief._fitted) { map.fitBounds(bounds, { padding: [8, 8], animate: false }); relief._fitted = true; }
    return county.features.length;
  }

  // ---- incidents -------------------------------------------------------------------------
  const filters = { kinds: null, statuses: null, hours: 0 };
  function incidentVisible(p) {
    if (filters.kinds && !filters.kinds.has(p.kind)) return false;
    if (filters.statuses && !filters.statuses.has(p.status)) return false;
    if (filters.hours && p.occurred_at && Date.parse(p.occurred_at) < Date.now() - filters.hours * 3600e3) return false;
    return true;
  }
  function severityOf(status) { return ["responding", "verified", "verifying", "reported", "stabilised", "closed", "rejected", "duplicate"].indexOf(status); }
  function incidentClusters() {
    return L.markerClusterGroup({ chunkedLoading: true, maxClusterRadius: 40, disableClusteringAtZoom: 11, showCoverageOnHover: false,
      iconCreateFunction: (cluster) => {
        const worst = cluster.getAllChildMarkers().reduce((best, m) => {
          const s = m.options.status; return best === null || severityOf(s) < severityOf(best) ? s : best; }, null);
        const n = cluster.getChildCount();
        const size = n < 10 ? 28 : n < 100 ? 34 : 40;
        return L.divIcon({ className: "relief-cluster", iconSize: [size, size], html: disc(S().status_colours[worst] || "#555", n) });
      } });
  }
  function anchorOf(feature) {
    const g = feature.geometry;
    if (!g) return null;
    if (g.type === "Point") return L.latLng(g.coordinates[1], g.coordinates[0]);
    const a = feature.properties.anchor;
    return a ? L.latLng(a[1], a[0]) : L.geoJSON(g).getBounds().getCenter();
  }
  function hazardOf(record) {
    const p = record.feature.properties;
    if (!record.feature.geometry || record.feature.geometry.type === "Point") return null;
    return L.geoJSON(record.feature.geometry, { pane: "hazards", style: { color: S().status_colours[p.status] || "#555", weight: 2,
      dashArray: "4 3", fillColor: S().kind_colours[p.kind] || "#555", fillOpacity: 0.25 } })
      .on("click", () => { relief.openIncident(record.id); relief.showIncident(record.id); });
  }
  function upsertIncident(feature, seq, fresh, batch) {
    const id = feature.id ?? feature.properties.id;
    const known = relief.byId.incidents.get(id);
    if (known && seq && known.seq && seq <= known.seq) return known;
    const p = { ...(known ? known.feature.properties : {}), ...feature.properties };
    if (feature.geometry && feature.geometry.type !== "Point" && !feature.properties.anchor) delete p.anchor;
    const record = known || { id };
    record.feature = { type: "Feature", id, geometry: feature.geometry || (known && known.feature.geometry), properties: p };
    record.seq = seq || record.seq || 0;
    const at = anchorOf(record.feature);
    if (!at) return null;
    const cluster = relief.layers.incidents, hazards = relief.layers.hazards, show = incidentVisible(p);
    if (known) {
      const shown = cluster.hasLayer(known.marker), moved = !known.marker.getLatLng().equals(at);
      if (known.hazard) hazards.removeLayer(known.hazard);
      if (shown && (moved || !show)) cluster.removeLayer(known.marker);
      known.marker.options.status = p.status;
      known.marker.setLatLng(at).setIcon(incidentIcon(p, fresh));
      if (known.marker.getElement()) known.marker.getElement().dataset.incident = String(id);
      if (show && (!shown || moved)) cluster.addLayer(known.marker); else if (show) cluster.refreshClusters(known.marker);
    } else {
      record.marker = L.marker(at, { icon: incidentIcon(p, fresh), status: p.status, keyboard: false, riseOnHover: true })
        .bindPopup(() => incidentPopup(record), { maxWidth: 340, minWidth: 240 })
        .on("click", () => relief.showIncident(id))
        .on("add", (e) => { e.target.getElement().dataset.incident = String(id); });
      relief.byId.incidents.set(id, record);
      if (show) { if (batch) batch.push(record.marker); else cluster.addLayer(record.marker); }
    }
    record.hazard = hazardOf(record);
    if (show && record.hazard) hazards.addLayer(record.hazard);
    if (known && known.marker.isPopupOpen()) known.marker.setPopupContent(incidentPopup(record));
    return record;
  }
  function refreshIncidentVisibility() {
    const cluster = relief.layers.incidents, hazards = relief.layers.hazards;
    cluster.clearLayers();
    hazards.clearLayers();
    const shown = [];
    relief.byId.incidents.forEach((r) => { if (incidentVisible(r.feature.properties)) { shown.push(r.marker); if (r.hazard) hazards.addLayer(r.hazard); } });
    cluster.addLayers(shown);
    relief.emitChange("incidents");
  }
  relief.openIncident = function (id) {
    const r = relief.byId.incidents.get(id);
    if (!r) return false;
    let opened = false;
    const open = () => { if (!opened) { opened = true; r.marker.openPopup(); } };
    relief.layers.incidents.zoomToShowLayer(r.marker, open);
    // markercluster skips the callback when its zoom animation is cut short; by now the marker is unclustered
    setTimeout(() => { if (!opened) relief.layers.incidents.zoomToShowLayer(r.marker, open); }, 1500);
    return true;
  };
  const detailCache = new Map();
  function incidentDetail(id) {
    if (!detailCache.has(id)) detailCache.set(id, getJSON(`/api/incidents/${id}`).catch((e) => { detailCache.delete(id); throw e; }));
    return detailCache.get(id);
  }
  function incidentRows(p) {
    const level = p.response_level ? badge(p.response_level, S().response_level_colours[p.response_level] || "#555") : word("none");
    return [[word("kind"), word(p.kind)], [word("status"), badge(word(p.status), S().status_colours[p.status] || "#555")],
      [word("response_level"), level], [word("occurred_at"), fmtTime(p.occurred_at)],
      [word("county"), relief.areaName(p.county_code)], [word("township"), relief.areaName(p.township_code)],
      [word("evacuate"), p.evacuate ? word("yes") : null]];
  }
  function incidentPopup(record) {
    const p = record.feature.properties;
    const box = el("div", { class: "popup incident-popup" });
    box.appendChild(el("strong", {}, p.title));
    box.appendChild(table(incidentRows(p)));
    const description = box.appendChild(el("p", { class: "description" }, p.description ?? word("loading")));
    if (p.description === undefined) {  // markers carry no description: fetch it once, keep it, then re-lay the popup out
      incidentDetail(record.id).then((d) => {
        p.description = d.incident.properties.description || "";
        const popup = record.marker.getPopup();
        if (popup && popup.isOpen()) popup.update(); else description.textContent = p.description;
      }).catch(() => { description.textContent = ""; });
    }
    return box;
  }
  relief.showIncident = async function (id) {
    const record = relief.byId.incidents.get(id);
    if (!record) return;
    const panel = details(record.feature.properties.title);
    panel.appendChild(table(incidentRows(record.feature.properties)));
    const rest = panel.appendChild(el("div", {}, word("loading")));
    detailCache.delete(id);
    try {
      const d = await incidentDetail(id);
      rest.textContent = "";
      if (d.incident.properties.description) rest.appendChild(el("p", { class: "description" }, d.incident.properties.description));
      const total = (d.figures && d.figures.total) || {};
      const rows = Object.entries(total).filter(([, v]) => typeof v === "number" && v > 0).map(([k, v]) => [word(k), fmtNumber(v)]);
      if (rows.length) { rest.appendChild(el("h2", {}, word("figures"))); rest.appendChild(table(rows)); }
      (d.response_reason || []).forEach((r) => rest.appendChild(el("p", {}, `${r.level}: ${word(r.indicator)} ${fmtNumber(r.value)} ≥ ${fmtNumber(r.threshold)}`)));
    } catch (error) { rest.textContent = ""; }
  };

  // ---- sites, depots, facilities --------------------------------------------------------
  function siteRows(p) {
    const state = relief.siteState(p);
    const occupancy = el("div", {}, `${fmtNumber(p.occupants || 0)} / ${fmtNumber(p.capacity_persons)}`);
    occupancy.appendChild(bar(p.capacity_persons ? (p.occupants || 0) / p.capacity_persons : 0, S().site_state_colours[state]));
    return [[word("kind"), word(p.kind)], [word("status"), word(state)], [word("occupants"), occupancy],
      [word("free_capacity"), fmtNumber(p.free_capacity)], [word("m2_per_person"), p.m2_per_person],
      [word("days_of_cover"), coverText(p.cover)], [word("provides_meals"), p.provides_meals ? word("yes") : word("no")],
      [word("medical_post"), p.medical_post ? word("yes") : word("no")], [word("county"), relief.areaName(p.county_code)]];
  }
  /* A guarantee the site supplies itself (its own water meets the standard) never runs out: shown as ∞. */
  function coverText(cover) {
    if (!cover) return null;
    const days = (d) => (d === "supplied" ? "∞" : d === null || d === undefined ? "–" : `${Math.round(d * 10) / 10}`);
    return `${word("food")} ${days(cover.food)} · ${word("water")} ${days(cover.water)}`;
  }
  /* Days of cover come from the site's own GET /api/sites/<id> (public, unlike the staff's /api/cover), kept 30 s;
   * a stock change at a site of its county forgets it. */
  const coverCache = new Map();
  relief.coverStale = (county) => {
    [...coverCache].forEach(([id, kept]) => { if (kept.county === (county || "")) coverCache.delete(id); });
  };
  function loadCover(record) {
    const id = record.id, kept = coverCache.get(id);
    if (!kept || Date.now() - kept.at > 30e3) {
      coverCache.set(id, { at: Date.now(), county: record.feature.properties.county_code || "",
        answer: getJSON(`/api/sites/${encodeURIComponent(id)}`).catch((error) => { coverCache.delete(id); throw error; }) });
    }
    return coverCache.get(id).answer.then((answer) => {
      const forecast = (answer.cover && answer.cover.forecast) || [];
      const days = (g) => {
        const f = forecast.find((x) => x.guarantee === g);
        return f ? (f.supplied ? "supplied" : f.days) : null;
      };
      record.feature.properties.cover = { food: days("food"), water: days("water") };
    });
  }
  function depotRows(p) {
    return [[word("kind"), word(p.kind)], [word("stock_state"), badge(word(relief.depotState(p)), S().depot_state_colours[relief.depotState(p)])],
      [word("items_in_stock"), p.items_in_stock], [word("days_of_cover"), p.days_of_cover], [word("county"), relief.areaName(p.county_code)]];
  }
  function facilityRows(p) {
    return [[word("kind"), word(p.kind)], [word("operating"), word(p.operating ? "yes" : "no")], [word("county"), relief.areaName(p.county_code)]];
  }
  const pointLayers = {
    sites: { url: "/api/sites", icon: siteIcon, rows: siteRows },
    depots: { url: "/api/depots", icon: depotIcon, rows: depotRows },
    facilities: { url: "/api/facilities", icon: facilityIcon, rows: facilityRows },
  };
  function upsertPoint(name, feature, seq) {
    const spec = pointLayers[name], index = relief.byId[name], group = relief.layers[name];
    const id = feature.id ?? feature.properties.id;
    const known = index.get(id);
    if (known && seq && known.seq && seq <= known.seq) return known;
    const p = { ...(known ? known.feature.properties : {}), ...feature.properties };
    const geometry = feature.geometry || (known && known.feature.geometry);
    if (!geometry) return null;
    const record = known || { id };
    Object.assign(record, { feature: { type: "Feature", id, geometry, properties: p }, seq: seq || record.seq || 0 });
    const at = L.latLng(geometry.coordinates[1], geometry.coordinates[0]);
    const popup = () => { const q = record.feature.properties, box = el("div", { class: "popup" });
      box.appendChild(el("strong", {}, q.name)); box.appendChild(table(spec.rows(q))); return box; };
    const show = () => { details(record.feature.properties.name).appendChild(table(spec.rows(record.feature.properties))); };
    if (known) {
      known.marker.setLatLng(at).setIcon(spec.icon(p));
      if (known.marker.getElement()) known.marker.getElement().dataset[name] = String(id);
      if (known.marker.isPopupOpen()) known.marker.setPopupContent(popup());
    } else {
      record.marker = L.marker(at, { icon: spec.icon(p), keyboard: false, title: p.name || "" })
        .bindPopup(popup, { maxWidth: 320 })
        .on("click", () => {
          show();
          relief.selected = record;
          if (name === "sites") {
            loadCover(record).then(() => {
              if (relief.selected === record) show();
              if (record.marker.isPopupOpen()) record.marker.setPopupContent(popup());
            }).catch(() => {});
          }
        })
        .on("add", (e) => { e.target.getElement().dataset[name] = String(id); });
      index.set(id, record);
      group.addLayer(record.marker);
    }
    return record;
  }
  relief.patchers.sites = (f, seq) => upsertPoint("sites", f, seq);
  relief.patchers.depots = (f, seq) => upsertPoint("depots", f, seq);
  relief.patchers.facilities = (f, seq) => upsertPoint("facilities", f, seq);
  relief.patchers.incidents = (f, seq, fresh) => { const r = upsertIncident(f, seq, fresh); relief.emitChange("incidents"); return r; };

  // ---- loading --------------------------------------------------------------------------
  relief.loaders.areas = loadAreas;
  relief.loaders.incidents = async function () {
    const features = await fetchAll("/api/map/incidents", 20000);
    if (!relief.layers.incidents) {
      relief.layers.incidents = incidentClusters();
      relief.layers.hazards = L.layerGroup();
    }
    relief.layers.incidents.clearLayers();
    relief.layers.hazards.clearLayers();
    relief.byId.incidents.clear();
    const markers = [];
    features.forEach((f) => upsertIncident(f, 0, false, markers));
    const cluster = relief.layers.incidents;
    cluster.addLayers(markers);
    if (relief.isOn("incidents")) { cluster.addTo(map); relief.layers.hazards.addTo(map); }
    relief.emitChange("incidents");
    return features.length;
  };
  Object.keys(pointLayers).forEach((name) => {
    relief.loaders[name] = async function () {
      const features = await fetchAll(pointLayers[name].url);
      if (relief.layers[name]) relief.layers[name].clearLayers(); else relief.layers[name] = L.layerGroup();
      relief.byId[name].clear();
      features.forEach((f) => upsertPoint(name, f, 0));
      if (relief.isOn(name)) relief.layers[name].addTo(map);
      return features.length;
    };
  });
  relief.reload = async function (name) {
    const count = await relief.loaders[name]();
    document.dispatchEvent(new CustomEvent("relief:layer-loaded", { detail: { name, count } }));
    return count;
  };
  /* Two phases: the base (styles, legend, boundaries) needs no subscription; the live layers
   * are loaded by live.js once it has subscribed, so no change falls in between. */
  relief.loadBase = async function () {
    await relief.loadStyles();
    buildLegend();
    buildFilters();
    await relief.reload("areas");
  };
  relief.loadLive = async function () {
    await Promise.all(["incidents", "sites", "depots", "facilities", "households"].filter((n) => relief.loaders[n]).map(relief.reload));
    document.body.setAttribute("data-map-ready", "1");
    performance.mark("relief-ready");
  };
  relief.loadAll = async function () { await relief.loadBase(); await relief.loadLive(); };
  relief.emitChange = debounce((name) => document.dispatchEvent(new CustomEvent("relief:changed", { detail: { name } })), 50);

  // ---- legend (layer toggles) and filters ------------------------------------------------
  const toggles = { areas: true, incidents: true, sites: true, depots: true, facilities: false, households: true };
  relief.isOn = (name) => toggles[name] !== false;
  function keys(entries) {
    const box = el("div", { class: "keys" });
    entries.forEach(([label, colour, round]) => {
      const key = box.appendChild(el("span", { class: "key" }));
      const sw = key.appendChild(el("i", { class: `sw${round ? " round" : ""}` }));
      sw.style.background = colour;
      key.appendChild(document.createTextNode(label));
    });
    return box;
  }
  function buildLegend() {
    const box = document.getElementById("legend");
    if (box.childElementCount) return;
    const s = S();
    const entries = {
      areas: [[word("prefecture"), s.base.prefecture.color], [word("county"), s.base.county.color], [word("township"), s.base.township.color]],
      incidents: null,
      sites: s.site_states.map((k) => [word(k), s.site_state_colours[k]]),
      depots: s.depot_states.map((k) => [word(k), s.depot_state_colours[k]]),
      facilities: [[word("operating"), s.facility_colours.operating], [word("closed"), s.facility_colours.closed]],
      households: s.verdicts_worst_first.map((k) => [word(k), s.area_class_colours[k]]),
    };
    Object.keys(toggles).forEach((name) => {
      const row = box.appendChild(el("label", { class: "row" }));
      const input = row.appendChild(el("input", { type: "checkbox", "data-layer": name }));
      input.checked = toggles[name];
      row.appendChild(el("span", {}, word(name === "areas" ? "boundaries" : name)));
      input.addEventListener("change", () => {
        toggles[name] = input.checked;
        const layers = name === "incidents" ? [relief.layers.incidents, relief.layers.hazards] : [relief.layers[name]];
        layers.filter(Boolean).forEach((layer) => (input.checked ? layer.addTo(map) : map.removeLayer(layer)));
        if (name === "households" && relief.households) relief.households.update();
      });
      if (entries[name]) box.appendChild(keys(entries[name]));
      if (name === "households") box.appendChild(el("p", { class: "note" }, word("households_hint")));
    });
  }
  function buildFilters() {
    const box = document.getElementById("filters");
    if (box.childElementCount) return;
    const s = S();
    const kinds = box.appendChild(el("fieldset"));
    kinds.appendChild(el("legend", {}, word("kind")));
    filters.kinds = new Set(s.kinds);
    s.kinds.forEach((kind) => {
      const label = kinds.appendChild(el("label"));
      const input = label.appendChild(el("input", { type: "checkbox", "data-kind": kind }));
      input.checked = true;
      const icon = label.appendChild(el("span"));
      icon.innerHTML = kindSvg(kind, "#fff", 14);  // our own constant markup
      label.appendChild(document.createTextNode(word(kind)));
      input.addEventListener("change", () => { input.checked ? filters.kinds.add(kind) : filters.kinds.delete(kind); refreshIncidentVisibility(); });
    });
    const statuses = box.appendChild(el("fieldset"));
    statuses.appendChild(el("legend", {}, word("status")));
    const hidden = new Set(["rejected", "duplicate"]);
    filters.statuses = new Set(s.statuses.filter((k) => !hidden.has(k)));
    s.statuses.forEach((status) => {
      const colour = s.status_colours[status];
      const label = statuses.appendChild(el("label"));
      const input = label.appendChild(el("input", { type: "checkbox", "data-status": status }));
      input.checked = !hidden.has(status);
      const sw = label.appendChild(el("i", { class: "sw" }));
      sw.style.background = colour;
      label.appendChild(document.createTextNode(word(status)));
      input.addEventListener("change", () => { input.checked ? filters.statuses.add(status) : filters.statuses.delete(status); refreshIncidentVisibility(); });
    });
    const windowBox = box.appendChild(el("label", { class: "row" }, word("time_window")));
    const select = windowBox.appendChild(el("select", { id: "time-window" }));
    [[0, "any_time"], [24, "last_24h"], [72, "last_3d"], [168, "last_7d"], [720, "last_30d"]].forEach(([hours, key]) =>
      select.appendChild(el("option", { value: hours }, word(key))));
    select.addEventListener("change", () => { filters.hours = Number(select.value); refreshIncidentVisibility(); });
  }
  relief.filters = filters;
  relief.refreshIncidentVisibility = refreshIncidentVisibility;

  // ---- side panel: details and area search ----------------------------------------------
  function details(title) {
    const box = document.getElementById("details");
    box.replaceChildren(el("h3", {}, title));
    return box;
  }
  relief.details = details;

  const search = document.getElementById("area-q"), results = document.getElementById("area-results");
  const runSearch = debounce(async () => {
    const q = search.value.trim();
    if (!q) { results.replaceChildren(); return; }
    try {
      const answer = await getJSON(`/api/map/search?q=${encodeURIComponent(q)}&limit=8`);
      if (search.value.trim() !== q) return;
      results.replaceChildren(...(answer.areas.length ? answer.areas.map((a) => {
        const li = el("li"), button = li.appendChild(el("button", { type: "button" }, zh ? a.name_zh : a.name_en));
        button.appendChild(el("small", {}, `${word(a.level)} · ${zh ? a.name_en : a.name_zh}`));
        button.addEventListener("click", () => {
          results.replaceChildren();
          search.value = zh ? a.name_zh : a.name_en;
          map.fitBounds([[a.bbox[1], a.bbox[0]], [a.bbox[3], a.bbox[2]]], { maxZoom: 14, padding: [20, 20] });
          if (relief.households && (a.level === "village" || a.level === "township")) relief.households.showArea(a.level, a.code, a);
        });
        return li;
      }) : [el("li", { class: "key" }, word("no_results"))]));
    } catch (error) { results.replaceChildren(); }
  }, 200);
  search.addEventListener("input", runSearch);
  document.getElementById("area-search").addEventListener("submit", (e) => {
    e.preventDefault();
    const first = results.querySelector("button");
    if (first) first.click();
  });
})();

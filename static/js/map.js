/* The situation map: admin boundaries, incidents, sites, depots and facilities.
 * Everything is fetched from this app's own /api; no other host is contacted
 * unless an administrator configured RELIEF_TILE_URL. Text that users typed is
 * only ever inserted with textContent, never as HTML. */
(function () {
  "use strict";
  const settings = JSON.parse(document.getElementById("relief-settings").textContent);
  const t = JSON.parse(document.getElementById("relief-i18n").textContent);
  const word = (key) => (key in t ? t[key] : key);

  const KIND_COLOURS = { landslide: "#8e44ad", collapse: "#6d4c41", debris_flow: "#a0522d", flood: "#1f78b4",
    snow_ice: "#5dade2", hail: "#16a085", earthquake: "#7f8c8d", drought: "#d35400", other: "#34495e" };
  const STATUS_COLOURS = { reported: "#e67e22", verifying: "#f1c40f", verified: "#c0392b", responding: "#e74c3c",
    stabilised: "#27ae60", closed: "#95a5a6", rejected: "#bdc3c7", duplicate: "#bdc3c7" };

  const map = L.map("map", { preferCanvas: true, zoomControl: true, zoomSnap: 0.25 }).setView([30.3, 109.5], 8);
  window.reliefMap = map;
  if (settings.tileUrl) {
    L.tileLayer(settings.tileUrl, { attribution: settings.tileAttribution || "", maxZoom: 18 }).addTo(map);
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function table(rows) {
    const tbl = el("table");
    rows.forEach(([label, value]) => {
      if (value === undefined || value === null || value === "") return;
      const tr = el("tr");
      tr.appendChild(el("th", {}, label));
      tr.appendChild(el("td", {}, value));
      tbl.appendChild(tr);
    });
    return tbl;
  }

  function popupFor(title, rows) {
    const box = el("div", { class: "popup" });
    box.appendChild(el("strong", {}, title));
    box.appendChild(table(rows));
    return box;
  }

  async function fetchAll(url) {
    const features = [];
    let offset = 0;
    for (;;) {
      const sep = url.includes("?") ? "&" : "?";
      const response = await fetch(`${url}${sep}offset=${offset}&limit=5000`, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`${url}: ${response.status}`);
      const page = await response.json();
      features.push(...page.features);
      if (page.page.next_offset === null || page.page.next_offset === undefined) break;
      offset = page.page.next_offset;
    }
    return { type: "FeatureCollection", features };
  }

  const layers = {};
  const byId = { incidents: new Map(), sites: new Map() };

  function incidentStyle(feature) {
    const p = feature.properties;
    return { color: STATUS_COLOURS[p.status] || "#333", fillColor: KIND_COLOURS[p.kind] || "#333", weight: 2, fillOpacity: 0.35 };
  }

  function incidentPopup(p) {
    return popupFor(p.title, [[word("kind"), word(p.kind)], [word("status"), word(p.status)],
      [word("occurred_at"), p.occurred_at], [word("response_level"), p.response_level || word("none")],
      [word("description"), p.description]]);
  }

  function sitePopup(p) {
    return popupFor(p.name, [[word("kind"), word(p.kind)], [word("status"), word(p.status)],
      [word("occupants"), `${p.occupants} / ${p.capacity_persons}`], [word("free_capacity"), p.free_capacity],
      [word("m2_per_person"), p.m2_per_person]]);
  }

  function siteColour(p) {
    if (p.status !== "open") return "#95a5a6";
    const ratio = p.capacity_persons ? p.occupants / p.capacity_persons : 1;
    return ratio >= 1 ? "#c0392b" : ratio >= 0.8 ? "#e6a100" : "#2e8b57";
  }

  const builders = {
    areas: (data) => L.geoJSON(data, {
      style: (f) => ({ color: f.properties.level === "prefecture" ? "#12304a" : "#3c6e91", weight: f.properties.level === "prefecture" ? 3 : 1.5,
        fillColor: "#f4f1ea", fillOpacity: f.properties.level === "prefecture" ? 0.6 : 0, dashArray: f.properties.level === "township" ? "3" : null }),
      onEachFeature: (f, layer) => layer.bindTooltip(`${f.properties.name_zh} ${f.properties.name_en}`, { sticky: true }),
    }),
    incidents: (data) => L.geoJSON(data, {
      style: incidentStyle,
      pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 9, ...incidentStyle(f), fillOpacity: 0.9 }),
      onEachFeature: (f, layer) => { byId.incidents.set(f.id, layer); layer.bindPopup(() => incidentPopup(f.properties)); },
    }),
    sites: (data) => L.geoJSON(data, {
      pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 6, color: "#fff", weight: 1, fillColor: siteColour(f.properties), fillOpacity: 0.95 }),
      onEachFeature: (f, layer) => { byId.sites.set(f.id, layer); layer.bindPopup(() => sitePopup(f.properties)); },
    }),
    depots: (data) => L.geoJSON(data, {
      pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 7, color: "#000", weight: 1, fillColor: "#2c3e50", fillOpacity: 0.9 }),
      onEachFeature: (f, layer) => layer.bindPopup(() => popupFor(f.properties.name, [[word("items_in_stock"), f.properties.items_in_stock]])),
    }),
    facilities: (data) => L.geoJSON(data, {
      pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 4, color: "#fff", weight: 1, fillColor: f.properties.operating ? "#d81b60" : "#9e9e9e", fillOpacity: 0.9 }),
      onEachFeature: (f, layer) => layer.bindPopup(() => popupFor(f.properties.name, [[word("kind"), f.properties.kind], [word("operating"), word(f.properties.operating ? "yes" : "no")]])),
    }),
  };

  const sources = {
    incidents: "/api/incidents",
    sites: "/api/sites",
    depots: "/api/depots",
    facilities: "/api/facilities",
  };

  async function loadLayer(name) {
    let data;
    if (name === "areas") {
      const [prefecture, counties] = await Promise.all([fetchAll("/api/areas?level=prefecture"), fetchAll("/api/areas?level=county")]);
      data = { type: "FeatureCollection", features: prefecture.features.concat(counties.features) };
    } else {
      data = await fetchAll(sources[name]);
    }
    if (layers[name]) map.removeLayer(layers[name]);
    layers[name] = builders[name](data).addTo(map);
    if (name === "areas") {
      layers[name].bringToBack();
      const bounds = layers[name].getBounds();
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });
    }
    document.dispatchEvent(new CustomEvent("relief:layer-loaded", { detail: { name, count: data.features.length } }));
    return layers[name];
  }

  function legend() {
    const box = document.getElementById("legend");
    Object.keys(builders).forEach((name) => {
      const label = el("label");
      const box_ = el("input", { type: "checkbox", "data-layer": name });
      box_.checked = true;
      box_.addEventListener("change", () => {
        if (!layers[name]) return;
        if (box_.checked) layers[name].addTo(map); else map.removeLayer(layers[name]);
      });
      label.appendChild(box_);
      label.appendChild(el("span", {}, word(name)));
      box.appendChild(label);
    });
  }

  legend();
  window.relief = { map, layers, byId, loadLayer, ready: Promise.all(Object.keys(builders).map(loadLayer)) };
  window.relief.ready.then(() => document.body.setAttribute("data-map-ready", "1"))
    .catch((error) => { console.warn("map layers failed to load", error); document.body.setAttribute("data-map-ready", "error"); });
})();

/* Aid flags by village on the live map (staff only): each village filled by its open duplicate and missed aid
 * flags (GET /api/layers/aid-flags), the boundaries from GET /api/map/areas?level=village, both loaded the
 * first time the layer is switched on in the legend (off at first). Colours come from GET /api/map/styles
 * (maps/styles.py aid_flag_*); words from the server (this script tag's data-settings). A village's tooltip
 * gives its counts; switching the layer off and on counts afresh. Villages are SVG paths marked data-village and data-flags, so what the map shows
 * can be read from the page. */
(function () {
  "use strict";
  const R = window.relief, map = R.map, el = R.el;
  const setup = JSON.parse(document.currentScript.dataset.settings || "{}");
  if (!setup.staff || !map) return;  // flags are never on the public map
  const words = setup.words || {};
  const w = (key) => words[key] || String(key).replace(/_/g, " ");
  const S = () => R.styles;
  const A = R.aidFlags = { on: false, counts: null, villages: null, layer: null, byCode: new Map() };

  A.colour = function (count) {  // twin of maps.styles.aid_flag_colour
    if (!count) return S().aid_flag_none;
    const breaks = S().aid_flag_breaks, colours = S().aid_flag_colours;
    for (let i = 0; i < breaks.length; i += 1) if (count < breaks[i]) return colours[i];
    return colours[colours.length - 1];
  };
  const countOf = (code) => ((A.counts || {})[code] || { duplicate: 0, missed: 0, total: 0 });
  const style = (code) => {
    const total = countOf(code).total;
    return { color: "#ffffff", weight: 0.6, opacity: 0.9, fillColor: A.colour(total), fillOpacity: total ? 0.75 : 0.15 };
  };
  function mark(layer, code) {
    const path = layer.getElement && layer.getElement();
    if (path) { path.setAttribute("data-village", code); path.setAttribute("data-flags", String(countOf(code).total)); }
  }
  function tip(feature) {
    const c = countOf(feature.id), box = el("div");
    const name = R.zh ? feature.properties.name_zh : feature.properties.name_en;
    box.appendChild(el("strong", {}, name || feature.id));
    box.appendChild(R.table([[w("duplicate"), R.fmtNumber(c.duplicate)], [w("missed"), R.fmtNumber(c.missed)]]));
    return box;
  }
  async function loadCounts() {
    const answer = await R.getJSON("/api/layers/aid-flags");
    A.counts = {};
    answer.rows.forEach((row) => { A.counts[row.code] = row; });
    A.byCode.forEach((layer, code) => { layer.setStyle(style(code)); mark(layer, code); });
  }
  async function show() {
    if (!A.villages) A.villages = await R.getJSON("/api/map/areas?level=village");
    if (!A.counts) await loadCounts();
    if (!A.layer) {
      A.layer = L.geoJSON(A.villages, { pane: "choropleth", style: (f) => style(f.id),
        onEachFeature: (f, layer) => {
          A.byCode.set(f.id, layer);
          layer.bindTooltip(() => tip(f), { sticky: true });
          layer.on("add", () => mark(layer, f.id));
        } });
    }
    if (A.on) A.layer.addTo(map);
    document.body.setAttribute("data-aid-flags-layer", A.on ? "on" : "off");
  }
  A.update = function () {
    if (!A.on) {
      if (A.layer) map.removeLayer(A.layer);
      A.counts = null;  // switched on again: counted afresh
      document.body.setAttribute("data-aid-flags-layer", "off");
      return Promise.resolve();
    }
    return show();
  };

  function legend() {
    const box = document.getElementById("legend");
    if (!box || box.querySelector("input[data-overlay='aid-flags']")) return;
    const row = box.appendChild(el("label", { class: "row" }));
    const input = row.appendChild(el("input", { type: "checkbox", "data-overlay": "aid-flags" }));
    input.checked = A.on;
    row.appendChild(el("span", {}, w("layer")));
    input.addEventListener("change", () => {
      A.on = input.checked;
      A.update().catch((e) => console.warn("aid flags", e));
    });
    const keys = box.appendChild(el("div", { class: "keys" }));
    const breaks = S().aid_flag_breaks;
    S().aid_flag_colours.forEach((colour, i) => {
      const low = i === 0 ? 1 : breaks[i - 1], high = i < breaks.length ? breaks[i] - 1 : null;
      const span = keys.appendChild(el("span", { class: "key" }));
      const sw = span.appendChild(el("i", { class: "sw" }));
      sw.style.background = colour;
      span.appendChild(document.createTextNode(high === null ? `≥ ${low}` : low === high ? `${low}` : `${low}–${high}`));
    });
    box.appendChild(el("p", { class: "note" }, w("hint")));
  }
  document.addEventListener("relief:layer-loaded", (e) => {
    if (e.detail && e.detail.name === "areas") legend();
  });
})();

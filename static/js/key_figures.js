/* The map's key-figure strip: incidents by response level, people relocated, households unmet,
 * sites full, stock running out. Counts only, from GET /api/key-figures (public), read again a
 * moment after any live event the map receives (debounced: a burst of events costs one read) and
 * after a reconnect. Words come translated from the server (#key-figure-strings); level colours
 * from relief.styles (GET /api/map/styles). Loaded after live.js. */
(function () {
  "use strict";
  const R = window.relief, el = R.el;
  const strip = document.getElementById("key-figures");
  if (!strip) return;
  const T = JSON.parse(document.getElementById("key-figure-strings").textContent);
  const REFRESH_AFTER_EVENT_MS = 1500;
  const K = R.keyFigures = { data: null, loads: 0 };

  function value(name) { return strip.querySelector(`[data-figure="${name}"] .kf-value`); }
  function detail(name) { return strip.querySelector(`[data-figure="${name}"] .kf-detail`); }

  function levelBadge(row) {
    const colours = (R.styles && R.styles.response_level_colours) || {};
    const label = row.level === null ? T.no_level : row.level;
    const badge = el("span", { class: "kf-level", "data-level": row.level === null ? "" : row.level,
      title: row.level === null ? T.no_level : T.level.replace("{level}", row.level) }, `${label} ${R.fmtNumber(row.count)}`);
    if (row.level !== null && colours[row.level]) { badge.style.background = colours[row.level]; badge.style.color = "#fff"; }
    return badge;
  }

  function show(d) {
    value("incidents").textContent = R.fmtNumber(d.incidents.total);
    detail("incidents").replaceChildren(...d.incidents.by_level.filter((r) => r.count > 0 || r.level !== null).map(levelBadge));
    value("relocated").textContent = R.fmtNumber(d.relocated.persons);
    detail("relocated").textContent = T.households.replace("{n}", R.fmtNumber(d.relocated.households));
    value("unmet").textContent = R.fmtNumber(d.households_unmet.any);
    const guarantees = (R.styles && R.styles.guarantees) || Object.keys(d.households_unmet).filter((g) => g !== "any");
    detail("unmet").textContent = guarantees.filter((g) => d.households_unmet[g] > 0)
      .map((g) => `${T[g] || g} ${R.fmtNumber(d.households_unmet[g])}`).join(" · ");
    value("sites_full").textContent = R.fmtNumber(d.sites.full);
    detail("sites_full").textContent = T.of_open.replace("{n}", R.fmtNumber(d.sites.open));
    value("stock").textContent = R.fmtNumber(d.stock_running_out.items);
    strip.querySelector('[data-figure="stock"] .kf-label').textContent =
      T.stock_soon.replace("{hours}", R.fmtNumber(d.stock_running_out.within_hours));
    detail("stock").textContent = T.at_sites.replace("{n}", R.fmtNumber(d.stock_running_out.sites));
    strip.querySelector(".kf-as-of").textContent = `${T.as_of} ${R.fmtTime(d.as_of, { timeOnly: true })}`;
  }

  async function refresh() {
    try {
      await R.loadStyles().catch(() => null);
      const d = await R.getJSON("/api/key-figures");
      K.data = d;
      K.loads += 1;
      show(d);
      strip.dataset.ready = "1";
    } catch (error) {
      console.warn("key figures", error);
    }
  }
  K.refresh = refresh;
  const soon = R.debounce(refresh, REFRESH_AFTER_EVENT_MS);
  if (R.live && R.live.socket) {
    R.live.socket.on("event", soon);
    R.live.socket.on("connect", soon);
  }
  refresh();
  // Printing lays the map out full width (map.css @media print): Leaflet redraws for the new size.
  ["beforeprint", "afterprint"].forEach((name) => window.addEventListener(name, () => { if (R.map) R.map.invalidateSize(); }));
})();

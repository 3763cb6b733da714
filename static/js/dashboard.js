/* The dashboard: counts of the five guarantees (public), unmet households,
 * sites' occupancy and cover, and the dispatch plan (staff).
 * Plain DOM and inline SVG; no library. Every word comes translated from the
 * server (settings.strings). */
(function () {
  "use strict";

  var settings = JSON.parse(document.getElementById("dashboard-settings").textContent);
  var S = settings.strings;
  var STATUSES = settings.statuses;
  var GUARANTEES = settings.guarantees;
  var COLOURS = { met: "#2e8b57", at_risk: "#e6a100", unmet: "#c0392b", not_applicable: "#c5cdd5" };
  var SVG = "http://www.w3.org/2000/svg";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var areaNames = {};
  var summaries = {};

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      // styles through the CSSOM: the Content-Security-Policy refuses style attributes
      if (k === "text") node.textContent = attrs[k]; else if (k === "style") node.style.cssText = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    });
  }

  function postJSON(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) throw new Error((data.error && data.error.message) || r.status);
        return data;
      });
    });
  }

  function message(target, text, cls) {
    target.replaceChildren(el("p", { "class": cls || "muted", text: text }));
  }

  function fmt(n, digits) {
    if (n === null || n === undefined) return "–";
    return Number(n).toLocaleString(undefined, { maximumFractionDigits: digits || 0 });
  }

  function areaLabel(code) {
    if (!code) return S.unknown_area;
    var name = areaNames[code];
    return name ? (settings.locale === "zh" ? name.zh : name.en) || code : code;
  }

  /* --- stacked bars ------------------------------------------------------ */

  function legend() {
    var box = document.getElementById("status-legend");
    JUDGED.forEach(function (s) {
      box.appendChild(el("span", { "class": "legend-item" }, [
        el("span", { "class": "swatch", style: "background:" + COLOURS[s] }), el("span", { text: S[s] })]));
    });
  }

  /* rows: [{label, counts: {status: n}}] → one horizontal stacked bar each, households in the
   * relief scope only (most are outside it: their bars would hide the rest); the count after
   * each bar says "in scope / all". */
  var JUDGED = STATUSES.filter(function (s) { return s !== "not_applicable"; });

  function stackedBars(target, rows) {
    var width = 640, barH = 18, gap = 6, labelW = 190, countW = 110;
    var height = rows.length * (barH + gap) + gap;
    var chart = svg("svg", { viewBox: "0 0 " + width + " " + height, width: "100%", preserveAspectRatio: "xMinYMin meet" });
    var max = Math.max.apply(null, rows.map(function (r) { return total(r.counts, JUDGED); }).concat([1]));
    rows.forEach(function (row, i) {
      var y = gap + i * (barH + gap), x = labelW;
      var label = svg("text", { x: labelW - 6, y: y + barH * 0.75, "text-anchor": "end", "class": "bar-label" });
      label.textContent = row.label;
      chart.appendChild(label);
      JUDGED.forEach(function (s) {
        var n = row.counts[s] || 0;
        if (!n) return;
        var w = (width - labelW - countW) * n / max;
        var rect = svg("rect", { x: x, y: y, width: Math.max(w, 0.5), height: barH, fill: COLOURS[s] });
        var tip = svg("title", {});
        tip.textContent = row.label + " · " + S[s] + ": " + fmt(n);
        rect.appendChild(tip);
        chart.appendChild(rect);
        x += w;
      });
      var count = svg("text", { x: x + 4, y: y + barH * 0.75, "class": "bar-count" });
      count.textContent = fmt(total(row.counts, JUDGED)) + " / " + fmt(total(row.counts, STATUSES));
      chart.appendChild(count);
    });
    target.replaceChildren(chart);
  }

  function total(counts, statuses) {
    return statuses.reduce(function (sum, s) { return sum + (counts[s] || 0); }, 0);
  }

  /* --- counts ------------------------------------------------------------ */

  function loadCounts(level) {
    if (summaries[level]) return Promise.resolve(summaries[level]);
    return getJSON(settings.urls.guarantees + "?summary=" + level).then(function (body) {
      Object.keys(body.summary.areas).forEach(function (code) {
        if (body.summary.areas[code].name) areaNames[code] = body.summary.areas[code].name;
      });
      summaries[level] = body;
      return body;
    });
  }

  function showPrefecture(body) {
    var t = body.summary.total;
    document.getElementById("as-of").textContent = (body.as_of ? S.as_of + " " + new Date(body.as_of).toLocaleString() + " · " : "") +
      S.in_scope_note;
    stackedBars(document.getElementById("prefecture-chart"), GUARANTEES.map(function (g) {
      return { label: S[g], counts: t.guarantees[g] };
    }));
  }

  function showAreas() {
    var level = document.getElementById("level").value;
    var g = document.getElementById("guarantee-choice").value;
    loadCounts(level).then(function (body) {
      var areas = body.summary.areas;
      var codes = Object.keys(areas).sort();
      stackedBars(document.getElementById("area-chart"), codes.map(function (code) {
        return { label: areaLabel(code), counts: areas[code].guarantees[g] };
      }));
      areaTable(codes, areas, level);
    }).catch(function () { message(document.getElementById("area-chart"), S.failed, "error"); });
  }

  function areaTable(codes, areas, level) {
    var table = document.getElementById("area-table");
    var head = el("tr", {}, [el("th", { text: S[level], rowspan: "2" }), el("th", { text: S.households, rowspan: "2" })]);
    var sub = el("tr");
    GUARANTEES.forEach(function (g) {
      head.appendChild(el("th", { text: S[g], colspan: String(STATUSES.length - 1) }));
      STATUSES.slice(0, -1).forEach(function (s) { sub.appendChild(el("th", { text: S[s], "class": "status-" + s })); });
    });
    var body = el("tbody");
    codes.forEach(function (code) {
      var row = el("tr", {}, [el("td", { text: areaLabel(code) }), el("td", { text: fmt(areas[code].households), "class": "num" })]);
      GUARANTEES.forEach(function (g) {
        STATUSES.slice(0, -1).forEach(function (s) {
          row.appendChild(el("td", { text: fmt(areas[code].guarantees[g][s] || 0), "class": "num status-" + s }));
        });
      });
      body.appendChild(row);
    });
    table.replaceChildren(el("thead", {}, [head, sub]), body);
  }

  /* --- households with unmet guarantees (staff) --------------------------- */

  function showUnmet() {
    var box = document.getElementById("unmet");
    if (!settings.staff) return message(box, S.login_needed);
    message(box, S.loading);
    getJSON(settings.urls.guarantees + "?status=unmet&limit=100").then(function (body) {
      if (!body.households.length) return message(box, S.no_unmet);
      var rows = body.households.map(function (h) {
        var unmet = GUARANTEES.filter(function (g) { return h[g] === "unmet"; });
        return el("tr", {}, [
          el("td", { text: h.household_id }),
          el("td", { text: areaLabel(h.village_code) }),
          el("td", {}, [el("ul", { "class": "reasons" }, unmet.map(function (g) {
            return el("li", {}, [el("strong", { text: S[g] + ": " }), el("span", { text: h.reasons[g] })]);
          }))])
        ]);
      });
      var caption = el("caption", { text: fmt(body.total) + " " + S.households });
      box.replaceChildren(el("div", { "class": "table-wrap" }, [el("table", { "class": "list" }, [caption,
        el("thead", {}, [el("tr", {}, [el("th", { text: S.household }), el("th", { text: S.village }),
          el("th", { text: S.reasons })])]), el("tbody", {}, rows)])]));
    }).catch(function () { message(box, S.failed, "error"); });
  }

  /* --- sites: occupancy and days of cover -------------------------------- */

  function showSites() {
    var box = document.getElementById("sites");
    message(box, S.loading);
    var cover = settings.staff ? getJSON(settings.urls.cover).catch(function () { return { sites: [] }; })
      : Promise.resolve({ sites: [] });
    Promise.all([getJSON(settings.urls.sites), cover]).then(function (both) {
      var days = {};
      (both[1].sites || []).forEach(function (s) {
        days[s.site_id] = {};
        // a guarantee the site supplies itself (its own water meets the standard) never runs out: ∞
        (s.forecast || []).forEach(function (f) { days[s.site_id][f.guarantee] = f.supplied ? "∞" : fmt(f.days, 1); });
      });
      var sites = (both[0].features || []).map(function (f) { return f.properties; })
        .filter(function (p) { return p.status === "open"; })
        .sort(function (a, b) { return (b.occupants / (b.capacity_persons || 1)) - (a.occupants / (a.capacity_persons || 1)); });
      var rows = sites.map(function (p) {
        var share = p.capacity_persons ? p.occupants / p.capacity_persons : 0;
        var bar = el("span", { "class": "fill" + (share > 0.9 ? " full" : ""), style: "width:" + Math.min(share * 100, 100) + "%" });
        var d = days[p.id] || {};
        return el("tr", {}, [
          el("td", { text: p.name }),
          el("td", { "class": "num" }, [el("span", { "class": "meter" }, [bar]), el("span", { text: fmt(p.occupants) + " / " + fmt(p.capacity_persons) })]),
          el("td", { "class": "num", text: fmt(p.m2_per_person, 1) }),
          el("td", { "class": "num", text: d.food || "–" }),
          el("td", { "class": "num", text: d.water || "–" })
        ]);
      });
      box.replaceChildren(el("table", { "class": "list" }, [el("thead", {}, [el("tr", {}, [
        el("th", { text: S.site }), el("th", { text: S.occupants + " / " + S.capacity }), el("th", { text: S.m2_per_person }),
        el("th", { text: S.days_food }), el("th", { text: S.days_water })])]), el("tbody", {}, rows)]));
    }).catch(function () { message(box, S.failed, "error"); });
  }

  /* --- the dispatch plan (commanders) ------------------------------------ */

  function showPlanButton() {
    var box = document.getElementById("plan");
    if (!settings.mayPlan) return message(box, S.login_needed);
    var button = el("button", { type: "button", "class": "button", text: S.propose });
    button.addEventListener("click", function () {
      button.disabled = true;
      postJSON(settings.urls.plans, {}).then(showPlan).catch(function (e) {
        button.disabled = false;
        box.appendChild(el("p", { "class": "error", text: S.failed + ": " + e.message }));
      });
    });
    box.replaceChildren(button);
  }

  function showPlan(plan) {
    var box = document.getElementById("plan");
    var lines = plan.lines || [];
    if (!lines.length) return message(box, S.plan_empty);
    var table = el("table", { "class": "list" }, [el("thead", {}, [el("tr", {}, [el("th", { text: S.depot }),
      el("th", { text: S.site }), el("th", { text: S.item }), el("th", { text: S.quantity }), el("th", { text: S.distance_km })])]),
      el("tbody", {}, lines.map(function (l) {
        return el("tr", {}, [el("td", { text: l.depot_id }), el("td", { text: l.site_id }), el("td", { text: l.item_code }),
          el("td", { "class": "num", text: fmt(l.quantity, 1) }), el("td", { "class": "num", text: fmt(l.distance_km, 1) })]);
      }))]);
    var accept = el("button", { type: "button", "class": "button", text: S.accept });
    accept.addEventListener("click", function () {
      accept.disabled = true;
      postJSON(settings.urls.plans + "/" + plan.id + "/accept", {}).then(function () {
        box.appendChild(el("p", { "class": "status-met", text: S.accepted }));
        showSites();
      }).catch(function (e) {
        accept.disabled = false;
        box.appendChild(el("p", { "class": "error", text: S.failed + ": " + e.message }));
      });
    });
    var parts = [accept, el("div", { "class": "table-wrap" }, [table])];
    if ((plan.unmet || []).length) parts.unshift(el("p", { "class": "muted", text: S.still_short + ": " + plan.unmet.length }));
    box.replaceChildren.apply(box, parts);
  }

  /* --- start --------------------------------------------------------------- */

  function start() {
    legend();
    var choice = document.getElementById("guarantee-choice");
    GUARANTEES.forEach(function (g) { choice.appendChild(el("option", { value: g, text: S[g] })); });
    choice.addEventListener("change", showAreas);
    document.getElementById("level").addEventListener("change", showAreas);
    var villageNames = loadCounts("village").catch(function () { return null; });
    villageNames.then(function () { return loadCounts("county"); }).then(function (body) {
      showPrefecture(body);
      showAreas();
    }).catch(function () { message(document.getElementById("prefecture-chart"), S.failed, "error"); });
    villageNames.then(showUnmet);  // the villages' names label the households
    showSites();
    showPlanButton();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();

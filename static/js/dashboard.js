/* The dashboard: counts of the five guarantees (public), unmet households,
 * sites' occupancy and cover, and the dispatch plan (staff).
 * Plain DOM and inline SVG; no library. Every word comes translated from the
 * server (settings.strings); the guarantees, the verdicts and their colours
 * come from GET /api/map/styles (relief.loadStyles(), common.js), as on the map. */
(function () {
  "use strict";

  var R = window.relief, el = R.el, getJSON = R.getJSON, postJSON = R.postJSON;
  var settings = JSON.parse(document.getElementById("dashboard-settings").textContent);
  var S = settings.strings;
  var STATUSES, GUARANTEES, COLOURS, JUDGED;  // from the server, set in start()
  var SVG = "http://www.w3.org/2000/svg";
  var areaNames = {};
  var summaries = {};

  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function message(target, text, cls) {
    target.replaceChildren(el("p", { "class": cls || "muted" }, text));
  }

  function fmt(n, digits) {
    return R.fmtNumber(n, { digits: digits || 0, blank: "–" });
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
      box.appendChild(el("span", { "class": "legend-item", "data-status": s }, [
        el("span", { "class": "swatch", style: { background: COLOURS[s] } }), el("span", {}, S[s])]));
    });
  }

  /* rows: [{label, counts: {status: n}}] → one horizontal stacked bar each, households in the
   * relief scope only (JUDGED: most are outside it, their bars would hide the rest); the count
   * after each bar says "in scope / all". */

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
    document.getElementById("as-of").textContent = (body.as_of ? S.as_of + " " + R.fmtTime(body.as_of) + " · " : "") +
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
    var head = el("tr", {}, [el("th", { rowspan: "2" }, S[level]), el("th", { rowspan: "2" }, S.households)]);
    var sub = el("tr");
    GUARANTEES.forEach(function (g) {
      head.appendChild(el("th", { colspan: String(JUDGED.length) }, S[g]));
      JUDGED.forEach(function (s) { sub.appendChild(el("th", { "class": "status-" + s }, S[s])); });
    });
    var body = el("tbody");
    codes.forEach(function (code) {
      var row = el("tr", {}, [el("td", {}, areaLabel(code)), el("td", { "class": "num" }, fmt(areas[code].households))]);
      GUARANTEES.forEach(function (g) {
        JUDGED.forEach(function (s) {
          row.appendChild(el("td", { "class": "num status-" + s }, fmt(areas[code].guarantees[g][s] || 0)));
        });
      });
      body.appendChild(row);
    });
    table.replaceChildren(el("thead", {}, [head, sub]), body);
  }

  /* --- households with unmet guarantees (staff) --------------------------- */

  /* A reason in the page's language: the server's words for the code (settings.reasonWords, by profile). */
  function reasonText(profile, g, h) {
    var words = settings.reasonWords[profile || "normal"] || settings.reasonWords.normal || {};
    var code = (h.reason_codes || {})[g];
    return ((words[g] || {})[code]) || code || "";
  }

  function showUnmet() {
    var box = document.getElementById("unmet");
    if (!settings.staff) return message(box, S.login_needed);
    message(box, S.loading);
    getJSON(settings.urls.guarantees + "?status=unmet&limit=100").then(function (body) {
      if (!body.households.length) return message(box, S.no_unmet);
      var rows = body.households.map(function (h) {
        var unmet = GUARANTEES.filter(function (g) { return h[g] === "unmet"; });
        return el("tr", {}, [
          el("td", {}, h.household_id),
          el("td", {}, areaLabel(h.village_code)),
          el("td", {}, [el("ul", { "class": "reasons" }, unmet.map(function (g) {
            return el("li", {}, [el("strong", {}, S[g] + ": "), el("span", {}, reasonText(body.profile, g, h))]);
          }))])
        ]);
      });
      var caption = el("caption", {}, fmt(body.total) + " " + S.households);
      box.replaceChildren(el("div", { "class": "table-wrap" }, [el("table", { "class": "list" }, [caption,
        el("thead", {}, [el("tr", {}, [el("th", {}, S.household), el("th", {}, S.village),
          el("th", {}, S.reasons)])]), el("tbody", {}, rows)])]));
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
        var bar = el("span", { "class": "fill" + (share > 0.9 ? " full" : ""), style: { width: Math.min(share * 100, 100) + "%" } });
        var d = days[p.id] || {};
        return el("tr", {}, [
          el("td", {}, p.name),
          el("td", { "class": "num" }, [el("span", { "class": "meter" }, [bar]), el("span", {}, fmt(p.occupants) + " / " + fmt(p.capacity_persons))]),
          el("td", { "class": "num" }, fmt(p.m2_per_person, 1)),
          el("td", { "class": "num" }, d.food || "–"),
          el("td", { "class": "num" }, d.water || "–")
        ]);
      });
      box.replaceChildren(el("table", { "class": "list" }, [el("thead", {}, [el("tr", {}, [
        el("th", {}, S.site), el("th", {}, S.occupants + " / " + S.capacity), el("th", {}, S.m2_per_person),
        el("th", {}, S.days_food), el("th", {}, S.days_water)])]), el("tbody", {}, rows)]));
    }).catch(function () { message(box, S.failed, "error"); });
  }

  /* --- the dispatch plan (commanders) ------------------------------------ */

  function showPlanButton() {
    var box = document.getElementById("plan");
    if (!settings.mayPlan) return message(box, S.login_needed);
    var button = el("button", { type: "button", "class": "button" }, S.propose);
    button.addEventListener("click", function () {
      button.disabled = true;
      postJSON(settings.urls.plans, {}).then(showPlan).catch(function (e) {
        button.disabled = false;
        box.appendChild(el("p", { "class": "error" }, S.failed + ": " + e.message));
      });
    });
    box.replaceChildren(button);
  }

  function showPlan(plan) {
    var box = document.getElementById("plan");
    var lines = plan.lines || [];
    if (!lines.length) return message(box, S.plan_empty);
    var table = el("table", { "class": "list" }, [el("thead", {}, [el("tr", {}, [el("th", {}, S.depot),
      el("th", {}, S.site), el("th", {}, S.item), el("th", {}, S.quantity), el("th", {}, S.distance_km)])]),
      el("tbody", {}, lines.map(function (l) {
        return el("tr", {}, [el("td", {}, l.depot_name || l.depot_id), el("td", {}, l.site_name || l.site_id),
          el("td", {}, l.item_name || l.item_code),
          el("td", { "class": "num" }, fmt(l.quantity, 1)), el("td", { "class": "num" }, fmt(l.distance_km, 1))]);
      }))]);
    var accept = el("button", { type: "button", "class": "button" }, S.accept);
    accept.addEventListener("click", function () {
      accept.disabled = true;
      postJSON(settings.urls.plans + "/" + plan.id + "/accept", {}).then(function () {
        box.appendChild(el("p", { "class": "status-met" }, S.accepted));
        showSites();
      }).catch(function (e) {
        accept.disabled = false;
        box.appendChild(el("p", { "class": "error" }, S.failed + ": " + e.message));
      });
    });
    var parts = [accept, el("div", { "class": "table-wrap" }, [table])];
    if ((plan.unmet || []).length) parts.unshift(el("p", { "class": "muted" }, S.still_short + ": " + plan.unmet.length));
    box.replaceChildren.apply(box, parts);
  }

  /* --- start --------------------------------------------------------------- */

  function start(styles) {
    STATUSES = styles.guarantee_statuses;
    GUARANTEES = styles.guarantees;
    COLOURS = styles.guarantee_colours;
    JUDGED = STATUSES.filter(function (s) { return s !== "not_applicable"; });
    legend();
    var choice = document.getElementById("guarantee-choice");
    GUARANTEES.forEach(function (g) { choice.appendChild(el("option", { value: g }, S[g])); });
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

  function load() {
    R.loadStyles().then(start, function () { message(document.getElementById("prefecture-chart"), S.failed, "error"); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", load); else load();
})();

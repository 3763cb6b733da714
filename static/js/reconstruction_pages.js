/* The reconstruction dashboard (/reconstruction) and the house page (/houses/<id>).
 *
 * Dashboard: the server renders the tables; this script draws the two bar charts in SVG
 * (rates by township, lowest completion first; subsidy by county) and, on every event of the
 * socket's reconstruction topic, reloads the summaries (GET /api/reconstruction/summary) and the
 * stalled houses (GET /api/houses?stalled=1, staff who see houses only) and redraws everything.
 * House page: the action buttons post a transition or a payment with a client_id made once per
 * button (a repeat is the same request); a refusal is worded from its code and field in the page's
 * language (settings.strings, translated on the server). Text only enters through textContent. */
(function () {
  "use strict";
  const R = window.relief;
  const { el, getJSON, postJSON, fmtNumber, fmtTime } = R;
  const SVG = "http://www.w3.org/2000/svg";

  const newId = window.relief.newId;

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* Subscribe to the reconstruction topic (areas: all, or one county) and call onEvent per event. */
  function listen(topics, areas, onEvent) {
    if (!window.io) return null;
    const socket = io("/live", { path: "/socket.io", transports: ["websocket", "polling"], reconnectionDelayMax: 10000 });
    socket.on("connect", () => socket.emit("subscribe", { topics, areas }, () => {
      document.body.setAttribute("data-live", "1");  // subscribed: events from now on reach this page
    }));
    socket.on("event", onEvent);
    return socket;
  }

  /* ================================ dashboard ================================================= */
  function dashboard(settings) {
    const S = settings.strings, W = settings.words;
    const names = {};
    const state = { township: settings.township, county: settings.county, stalled: settings.stalled, updates: 0 };

    const pct = (rate) => (rate === null || rate === undefined ? "–" : `${fmtNumber(rate * 100, { digits: 1 })}%`);
    const money = (v) => fmtNumber(Math.round(v || 0), { digits: 0 });
    const nameOf = (code) => {
      if (!code) return S.unknown_area;
      const n = names[code] || {};
      return (settings.locale === "zh" ? n.zh || n.en : n.en || n.zh) || code;
    };
    function learnNames() {
      [...state.township.rows, ...state.county.rows].forEach((r) => { if (r.code) names[r.code] = r.name; });
    }
    /* Lowest completion rate first; areas with nothing enrolled last. */
    function byCompletion(rows) {
      return rows.slice().sort((a, b) => {
        const x = a.completed_rate === null ? 2 : a.completed_rate, y = b.completed_rate === null ? 2 : b.completed_rate;
        return x - y || (a.started_rate || 0) - (b.started_rate || 0) || String(a.code).localeCompare(String(b.code));
      });
    }

    /* rows × series → one group of horizontal bars per row; value(row, series) in [0, max]. */
    function bars(target, rows, series, value, max, label) {
      if (!rows.length) { target.replaceChildren(el("p", { class: "muted" }, S.no_houses)); return; }
      const width = 640, bar = 15, gap = 12, labelW = 170, textW = 110;
      const groupH = series.length * bar + gap;
      const chart = svg("svg", { viewBox: `0 0 ${width} ${rows.length * groupH + gap}`, width: "100%",
        role: "img", preserveAspectRatio: "xMinYMin meet", class: "rc-svg" });
      rows.forEach((row, i) => {
        const y0 = gap + i * groupH;
        chart.appendChild(svg("text", { x: labelW - 6, y: y0 + (series.length * bar) / 2 + 4, "text-anchor": "end",
          class: "bar-label" }, nameOf(row.code)));
        series.forEach((s, j) => {
          const v = value(row, s) || 0;
          const w = Math.max(((width - labelW - textW) * v) / (max || 1), v ? 0.5 : 0);
          const rect = svg("rect", { x: labelW, y: y0 + j * bar, width: w, height: bar - 1, class: `bar ${s}` });
          rect.appendChild(svg("title", {}, `${nameOf(row.code)} · ${S[s]}: ${label(row, s)}`));
          chart.appendChild(rect);
          chart.appendChild(svg("text", { x: labelW + w + 4, y: y0 + j * bar + bar - 3, class: "bar-count" },
            label(row, s)));
        });
      });
      target.replaceChildren(chart);
    }

    function drawCharts() {
      const rates = ["started", "completed", "moved_in"];
      bars(document.getElementById("rc-rates-chart"), byCompletion(state.township.rows.filter((r) => r.enrolled > 0)),
        rates, (r, s) => r[`${s}_rate`], 1, (r, s) => pct(r[`${s}_rate`]));
      const sums = ["planned", "due", "paid"];
      const max = Math.max(1, ...state.county.rows.map((r) => r.planned || 0));
      bars(document.getElementById("rc-money-chart"), state.county.rows, sums, (r, s) => r[s], max,
        (r, s) => money(r[s]));
    }

    function ratesTable(answer, level, id) {
      const head = ["houses", "enrolled", "started", "completed", "moved_in", "stalled", "planned", "due", "paid"];
      const rows = answer.rows.map((r) => el("tr", { "data-code": r.code || "" }, [
        el("th", { scope: "row" }, nameOf(r.code)),
        el("td", { class: "num" }, fmtNumber(r.houses)), el("td", { class: "num" }, fmtNumber(r.enrolled)),
        el("td", { class: "num", "data-rate": "started" }, pct(r.started_rate)),
        el("td", { class: "num", "data-rate": "completed" }, pct(r.completed_rate)),
        el("td", { class: "num", "data-rate": "moved_in" }, pct(r.moved_in_rate)),
        el("td", { class: "num" }, fmtNumber(r.stalled)),
        el("td", { class: "num" }, money(r.planned)), el("td", { class: "num" }, money(r.due)),
        el("td", { class: "num", "data-money": "paid" }, money(r.paid))]));
      if (!rows.length) rows.push(el("tr", {}, [el("td", { colspan: "10", class: "muted" }, S.no_houses)]));
      return el("div", { class: "table-wrap scroll" }, [el("table", { class: "list rc-rates", id }, [
        el("thead", {}, [el("tr", {}, [el("th", { scope: "col" }, S[level]),
          ...head.map((h) => el("th", { scope: "col", class: "num" }, S[h]))])]),
        el("tbody", {}, rows)])]);
    }

    function drawTotals() {
      const t = state.township.totals;
      document.querySelectorAll("#rc-totals [data-total]").forEach((dd) => {
        const key = dd.dataset.total;
        dd.textContent = key.endsWith("_rate") ? pct(t[key])
          : ["planned", "due", "paid"].includes(key) ? money(t[key]) : fmtNumber(t[key] || 0);
      });
      document.getElementById("rc-as-of").textContent = `${S.as_of} ${fmtTime(state.township.as_of)}`;
    }

    function drawLag() {
      const all = state.township.totals.completed_rate;
      const lag = all === null ? [] : byCompletion(state.township.rows)
        .filter((r) => r.completed_rate !== null && r.completed_rate < all);
      const list = document.getElementById("rc-lag");
      list.replaceChildren(...(lag.length ? lag.map((r) => el("li", { "data-code": r.code || "" },
        S.lag_line.replace("{name}", nameOf(r.code)).replace("{rate}", pct(r.completed_rate)).replace("{all}", pct(all))))
        : [el("li", { class: "muted" }, S.none_lag)]));
    }

    function drawStalled() {
      const box = document.getElementById("rc-stalled");
      if (!box || !state.stalled) return;
      const rows = state.stalled.map((f) => {
        const h = f.properties;
        return el("tr", { "data-house": f.id }, [
          el("td", {}, [el("a", { href: settings.urls.house + encodeURIComponent(f.id) }, f.id)]),
          el("td", {}, h.head_name || ""), el("td", {}, nameOf(h.township_code)),
          el("td", {}, W.stages[h.stage] || h.stage), el("td", { class: "num" }, fmtNumber(h.days_in_stage)),
          el("td", {}, h.correction_required ? "✓" : "")]);
      });
      if (!rows.length) rows.push(el("tr", {}, [el("td", { colspan: "6", class: "muted" }, S.no_stalled)]));
      box.replaceChildren(el("table", { class: "list" }, [el("thead", {}, [el("tr", {},
        ["house", "household", "township", "stage", "days_in_stage", "correction_required"].map((k) =>
          el("th", { scope: "col", class: k === "days_in_stage" ? "num" : null }, S[k])))]),
      el("tbody", {}, rows)]));
    }

    function drawAll() {
      learnNames();
      drawTotals();
      drawLag();
      drawStalled();
      drawCharts();
      document.getElementById("rc-townships").replaceChildren(ratesTable(state.township, "township", "rc-township-table"));
      document.getElementById("rc-counties").replaceChildren(ratesTable(state.county, "county", "rc-county-table"));
    }

    async function refresh() {
      try {
        const url = settings.urls.summary;
        const [township, county, stalled] = await Promise.all([getJSON(`${url}?by=township`), getJSON(`${url}?by=county`),
          settings.seesHouses ? getJSON(settings.urls.stalled) : Promise.resolve(null)]);
        Object.assign(state, { township, county, stalled: stalled ? stalled.features : null });
        state.updates += 1;
        drawAll();
        document.getElementById("rc-live").textContent = `· ${S.updated} ${fmtTime(new Date(), { timeOnly: true })}`;
        document.body.setAttribute("data-rc-updates", String(state.updates));
      } catch (error) {
        document.getElementById("rc-live").textContent = `· ${S.failed}`;
      }
    }

    learnNames();
    drawCharts();
    const soon = R.debounce(refresh, 400);
    listen(settings.topics, [], (event) => { if (event && event.topic === "reconstruction") soon(); });
    document.body.setAttribute("data-rc-ready", "1");
    R.reconstruction = { refresh };
  }

  /* ================================ house page ================================================ */
  function housePage(settings) {
    const S = settings.strings, W = settings.words;
    const ids = {};  // one client_id per button: pressing again resends the same request
    const idFor = (key) => (ids[key] = ids[key] || newId());
    const out = document.getElementById("action-error");

    /* A refusal in the page's language, from the answer's code, field and detail. */
    function worded(error, what) {
      const answer = (error && error.answer && error.answer.error) || {};
      const status = error && error.status;
      const detail = answer.detail || {};
      if (status === undefined) return S.offline;
      if (status === 401 || status === 403) return S.forbidden;
      if (status === 503 || status === 429) return S.busy;
      if (answer.code === "client_id_reused") return S.reused;
      if (what.kind === "transition") {
        if (answer.field === "inspection") return S.needs_inspection.replace("{stage}", W.stages[what.stage] || what.stage);
        if (answer.field === "stage") return S.does_not_follow.replace("{stage}", W.stages[what.stage] || what.stage);
        if (answer.field === "reason") return S.reason_required;
        if (answer.field === "rebuild_mode") return S.mode_required;
      } else {
        if (status === 409 && detail.milestone) {
          const words = settings.inspected.includes(detail.milestone) ? S.tranche_needs_inspection : S.tranche_not_due;
          return words.replace("{milestone}", W.stages[detail.milestone] || detail.milestone);
        }
        if (status === 409) return S.tranche_paid;
        if (answer.field === "amount") return S.amount;
      }
      return S.refused.replace("{message}", answer.message || String(status));
    }

    async function act(button, what, body) {
      out.textContent = "";
      out.removeAttribute("data-refused");
      const url = what.kind === "transition" ? settings.urls.transitions : settings.urls.payments;
      document.querySelectorAll("button[data-action]").forEach((b) => { b.disabled = true; });
      const status = document.getElementById("action-status");
      status.textContent = S.sending;
      try {
        await postJSON(url, body);
        status.textContent = S.saved;
        location.reload();
      } catch (error) {
        status.textContent = "";
        out.textContent = worded(error, what);
        out.setAttribute("data-refused", what.kind);
        document.querySelectorAll("button[data-action]").forEach((b) => { b.disabled = false; });
      }
    }

    document.querySelectorAll("button[data-action=transition]").forEach((button) => {
      button.addEventListener("click", () => {
        const stage = button.dataset.stage;
        const reason = (document.getElementById("step-reason") || { value: "" }).value.trim();
        const mode = document.getElementById("step-mode");
        const body = { stage, client_id: idFor(`stage-${stage}`) };
        if (reason) body.reason = reason;
        if (button.dataset.needsMode && mode) body.rebuild_mode = mode.value;
        if (settings.needsReason.includes(stage) && !reason) {
          out.textContent = S.reason_required;
          out.setAttribute("data-refused", "transition");
          document.getElementById("step-reason").focus();
          return;
        }
        act(button, { kind: "transition", stage }, body);
      });
    });
    document.querySelectorAll("button[data-action=pay]").forEach((button) => {
      button.addEventListener("click", () => {
        const tranche = button.dataset.tranche;
        act(button, { kind: "payment", tranche }, { tranche, client_id: idFor(`pay-${tranche}`) });
      });
    });

    /* Someone else changed this house: offer a reload rather than pull the page from under the user. */
    listen(settings.topics, settings.county ? [settings.county] : [], (event) => {
      const p = event && event.payload, house = p && p.house;
      if (!house || String(house.id) !== String(settings.houseId)) return;
      const note = document.getElementById("house-changed");
      if (!note || !note.hidden) return;
      const again = el("button", { type: "button", class: "button small" }, S.reload);
      again.addEventListener("click", () => location.reload());
      note.replaceChildren(el("span", {}, `${S.changed} `), again);
      note.hidden = false;
    });
    document.body.setAttribute("data-house-ready", "1");
  }

  const dashboardSettings = document.getElementById("rc-settings");
  const houseSettings = document.getElementById("house-settings");
  if (dashboardSettings) dashboard(JSON.parse(dashboardSettings.textContent));
  if (houseSettings) housePage(JSON.parse(houseSettings.textContent));
})();

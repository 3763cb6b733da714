/* Living assistance pages for staff: the case list (the eligibility sweep), one case (its steps), the
 * dashboard (SVG bars, no library). Words come from the server in each page's settings; a refusal is
 * worded from its code and field, never the API's English. */
(function () {
  "use strict";
  const R = window.relief;
  const { postJSON, fmtNumber, fmtTime } = R;
  const SVG = "http://www.w3.org/2000/svg";

  const newId = window.relief.newId;

  function settingsOf(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* Words for a refusal common to every write; null when the caller words it itself. */
  function common(error, S) {
    const answer = (error && error.answer && error.answer.error) || {};
    const status = error && error.status;
    if (status === undefined) return S.offline;
    if (status === 401 || status === 403) return S.forbidden;
    if (status === 503 || status === 429) return S.busy;
    if (answer.code === "client_id_reused") return S.reused;
    return null;
  }

  /* ================================ the list ================================================== */
  function listPage(settings) {
    const S = settings.strings;
    const run = document.getElementById("propose-run");
    if (!run) return;
    let clientId = null;
    let sent = "";
    run.addEventListener("click", async () => {
      const out = document.getElementById("propose-error");
      const status = document.getElementById("propose-status");
      out.textContent = "";
      const body = {
        programme: document.getElementById("propose-programme").value,
        township: document.getElementById("propose-township").value || null,
        as_of: document.getElementById("propose-start").value || null,
      };
      if (!body.programme) { out.textContent = S.programme_required; return; }
      const key = JSON.stringify(body);
      if (key !== sent) { clientId = newId(); sent = key; }  // the same request again keeps its id
      body.client_id = clientId;
      run.disabled = true;
      status.textContent = S.sending;
      try {
        const answer = await postJSON(settings.urls.propose, body);
        status.textContent = answer.cases ? S.proposed.replace("{n}", fmtNumber(answer.cases)) : S.proposed_none;
        document.body.setAttribute("data-proposed", String(answer.cases));
        if (answer.cases) {
          const to = new URL(settings.urls.list, location.href);
          to.searchParams.set("stage", "applied");
          to.searchParams.set("programme", answer.programme);
          if (body.township) to.searchParams.set("township", body.township);
          setTimeout(() => { location.href = to.toString(); }, 600);
        }
      } catch (error) {
        status.textContent = "";
        const answer = (error && error.answer && error.answer.error) || {};
        out.textContent = common(error, S) || (answer.field === "as_of" ? S.bad_time
          : S.refused.replace("{message}", answer.message || String(error.status)));
      } finally {
        run.disabled = false;
      }
    });
  }

  /* ================================ one case ================================================== */
  function casePage(settings) {
    const S = settings.strings, W = settings.words;
    const ids = {};  // one client_id per action: pressing again resends the same request
    const out = document.getElementById("action-error");
    const reasonError = document.getElementById("reason-error");
    const reasonBox = document.getElementById("step-reason");

    function worded(error, action) {
      const said = common(error, S);
      if (said) return { text: said };
      const answer = (error && error.answer && error.answer.error) || {};
      const detail = answer.detail || {};
      if (answer.field === "reason") return { text: S.reason_required, field: "reason" };
      if (answer.field === "notice_ends_at") {
        const end = detail.notice_ends_at || settings.noticeEndsAt;
        return { text: S.notice_not_ended.replace("{time}", fmtTime(end)), field: "notice_ends_at" };
      }
      if (answer.field === "objection") return { text: S.objection_open, field: "objection" };
      if (answer.field === "action") {
        return { text: S.does_not_follow.replace("{action}", W.actions[action] || action), field: "action" };
      }
      return { text: S.refused.replace("{message}", answer.message || String(error.status)) };
    }

    function show(message) {
      const target = message.field === "reason" ? reasonError : out;
      target.textContent = message.text;
      target.setAttribute("data-refused", message.field || "other");
      if (message.field === "reason" && reasonBox) reasonBox.focus();
    }

    document.querySelectorAll("button[data-action]").forEach((button) => {
      button.addEventListener("click", async () => {
        const action = button.dataset.action;
        const reason = reasonBox ? reasonBox.value.trim() : "";
        [out, reasonError].forEach((node) => { node.textContent = ""; node.removeAttribute("data-refused"); });
        if (settings.needsReason.includes(action) && !reason) {
          show({ text: S.reason_required, field: "reason" });
          return;
        }
        const key = `${action}|${reason}`;
        const body = { action, client_id: (ids[key] = ids[key] || newId()) };
        if (reason) body.reason = reason;
        const status = document.getElementById("action-status");
        document.querySelectorAll("button[data-action]").forEach((b) => { b.disabled = true; });
        status.textContent = S.sending;
        try {
          await postJSON(settings.urls.transitions, body);
          status.textContent = S.saved;
          location.reload();
        } catch (error) {
          status.textContent = "";
          show(worded(error, action));
          document.querySelectorAll("button[data-action]").forEach((b) => { b.disabled = false; });
        }
      });
    });
    document.body.setAttribute("data-case-ready", "1");
  }

  /* ================================ dashboard ================================================= */
  function stageChart(settings) {
    const box = document.getElementById("ac-stage-chart");
    if (!box || !settings.townships.length) return;
    const rows = settings.townships;
    const most = Math.max(1, ...rows.map((r) => r.total));
    const labelW = 150, barW = 220, rowH = 26, width = labelW + barW + 50;
    const chart = svg("svg", { viewBox: `0 0 ${width} ${rows.length * rowH + 4}`, class: "ac-svg", role: "img",
      "aria-label": settings.strings.stages_chart });
    rows.forEach((r, i) => {
      const y = i * rowH + 2;
      chart.append(svg("text", { x: 0, y: y + 17, class: "bar-label" }, r.name.length > 12 ? `${r.name.slice(0, 11)}…` : r.name));
      let x = labelW;
      settings.stages.forEach((s) => {
        const n = r.stages[s] || 0;
        if (!n) return;
        const w = (n / most) * barW;
        const bar = svg("rect", { x, y: y + 4, width: Math.max(w, 1), height: rowH - 8, class: `bar stage-${s}` });
        bar.append(svg("title", {}, `${r.name} · ${settings.words.stages[s]}: ${fmtNumber(n)}`));
        chart.append(bar);
        x += w;
      });
      chart.append(svg("text", { x: x + 4, y: y + 17, class: "bar-count" }, fmtNumber(r.total)));
    });
    box.replaceChildren(chart);
  }

  function moneyChart(settings) {
    const box = document.getElementById("ac-money-chart");
    if (!box || !settings.money.length) return;
    const rows = settings.money;
    const most = Math.max(1, ...rows.map((m) => Math.max(m.budget || 0, m.approved || 0, m.paid || 0)));
    const labelW = 150, barW = 220, rowH = 40, width = labelW + barW + 10;
    const chart = svg("svg", { viewBox: `0 0 ${width} ${rows.length * rowH + 4}`, class: "ac-svg", role: "img",
      "aria-label": settings.strings.money_chart });
    rows.forEach((m, i) => {
      const y = i * rowH + 2;
      chart.append(svg("text", { x: 0, y: y + 22, class: "bar-label" }, m.name.length > 12 ? `${m.name.slice(0, 11)}…` : m.name));
      [["budget", 0], ["approved", 12], ["paid", 24]].forEach(([k, dy]) => {
        const v = m[k] || 0;
        const bar = svg("rect", { x: labelW, y: y + dy + 2, width: Math.max((v / most) * barW, v ? 1 : 0), height: 10,
          class: `bar ${k}` });
        bar.append(svg("title", {}, `${m.name} · ${settings.strings[k]}: ${fmtNumber(v, { digits: 2 })} ${settings.strings.yuan}`));
        chart.append(bar);
      });
    });
    box.replaceChildren(chart);
  }

  function dashboardPage(settings) {
    stageChart(settings);
    moneyChart(settings);
    document.body.setAttribute("data-ac-ready", "1");
  }

  const list = settingsOf("cases-settings");
  if (list) listPage(list);
  const one = settingsOf("case-settings");
  if (one) casePage(one);
  const board = settingsOf("assistance-settings");
  if (board) dashboardPage(board);
})();

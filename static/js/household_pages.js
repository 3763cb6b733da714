/* The household pages (templates/households.html, templates/household.html).
 *
 * Search: the server renders the results; as one types, the same search runs through
 * GET /api/households and the table is redrawn (the address follows, so a reload or a shared
 * link shows the same list).
 * One household: the verdict colours come from the server's table (relief.loadStyles sets
 * --verdict-*); the edit form sends only the fields that changed, with the reason, as
 * PATCH /api/households/<id> carrying a client_id that stays the same while the body does (a resend
 * after a lost answer is answered once). A refusal is shown next to the field it names, in words
 * the server translated (#household-settings), never the server's English message.
 */
(function () {
  "use strict";
  const R = window.relief;
  const settingsNode = document.getElementById("household-settings");
  if (!settingsNode) return;
  const settings = JSON.parse(settingsNode.textContent);
  const S = settings.strings;

  function areaName(area) {
    if (!area) return "";
    const names = area.name || {};
    return (R.zh ? names.zh || names.en : names.en || names.zh) || area.code || "";
  }

  /* ---- search -------------------------------------------------------------------------------- */
  function search() {
    const form = document.getElementById("hh-search");
    if (!form) return;
    const q = form.querySelector("#q");
    const village = form.querySelector("#village");
    const body = document.querySelector("#hh-results tbody");
    const count = document.getElementById("hh-count");
    const empty = document.getElementById("hh-empty");
    const pager = document.querySelector(".hh-pager");
    const labels = S.labels;
    let asked = 0;

    function fieldError(name, text) {
      const input = form.querySelector(`#${name}`);
      const note = form.querySelector(`#${name}-error`);
      note.textContent = text || "";
      note.hidden = !text;
      if (text) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
      if (text) input.setAttribute("aria-describedby", `${name}-error`);
    }

    function row(r) {
      const link = R.el("a", { href: `${settings.page}/${encodeURIComponent(r.household_id)}` }, r.household_id);
      const where = r.site ? (r.site.name || r.site.id) : (labels.shelter[r.shelter] || r.shelter);
      return R.el("tr", {}, [
        R.el("td", {}, [link]), R.el("td", {}, r.head_name), R.el("td", { class: "mono" }, r.id_number_masked || ""),
        R.el("td", { class: "num" }, R.fmtNumber(r.members)), R.el("td", {}, areaName(r.village)),
        R.el("td", {}, where), R.el("td", {}, labels.damage[r.house_damage] || r.house_damage),
        R.el("td", {}, r.assistance_category ? (labels.category[r.assistance_category] || r.assistance_category) : ""),
      ]);
    }

    async function run() {
      const params = new URLSearchParams();
      if (q.value.trim()) params.set("q", q.value.trim());
      if (village.value.trim()) params.set("village", village.value.trim());
      const shown = params.toString();
      history.replaceState(null, "", settings.page + (shown ? `?${shown}` : ""));
      params.set("limit", String(settings.limit));
      const mine = ++asked;
      count.textContent = S.searching;
      try {
        const answer = await R.getJSON(`${settings.api}?${params}`);
        if (mine !== asked) return;
        fieldError("q", ""); fieldError("village", "");
        body.replaceChildren(...answer.rows.map(row));
        count.textContent = S.found.replace("{n}", R.fmtNumber(answer.total));
        empty.hidden = answer.rows.length > 0;
        if (pager) pager.replaceChildren(...(answer.next_offset !== null ? [R.el("a", {
          id: "hh-next", href: `${settings.page}?${new URLSearchParams([...params].filter(([k]) => k !== "limit")
            .concat([["offset", String(answer.next_offset)]]))}` }, S.next)] : []));
      } catch (error) {
        if (mine !== asked) return;
        const field = error.answer && error.answer.error && error.answer.error.field;
        if (field === "q" || field === "village") fieldError(field, S.too_long);
        count.textContent = S.failed;
      }
    }

    const later = R.debounce(run, 300);
    q.addEventListener("input", later);
    village.addEventListener("input", later);
    form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
  }

  /* ---- one household: verdict colours and the edit form -------------------------------------- */
  const clientId = window.relief.newId;

  async function patchJSON(url, body) {
    const response = await fetch(url, {
      method: "PATCH", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": R.csrfToken() },
    });
    const answer = await response.json().catch(() => null);
    return { status: response.status, ok: response.ok, answer };
  }

  function edit() {
    const form = document.getElementById("hh-edit");
    if (!form) return;
    const status = document.getElementById("hh-status");
    const save = document.getElementById("hh-save");
    const sent = new Map();  // body (without client_id) → the client_id it was sent with

    function value(input) {
      if (input.type === "checkbox") return input.checked;
      if (input.type === "number") return input.value.trim() === "" ? null : Number(input.value);
      return input.value;
    }
    function initial(input) {
      const raw = input.dataset.initial;
      if (input.type === "checkbox") return raw === "true";
      if (input.type === "number") return Number(raw);
      return raw;
    }
    function clearErrors() {
      form.querySelectorAll(".field-error").forEach((n) => { n.hidden = true; n.textContent = ""; });
      form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
    }
    function mark(field, text) {
      const note = form.querySelector(`#e-${CSS.escape(field)}`);
      const input = form.querySelector(`#f-${CSS.escape(field)}`);
      if (!note) return false;
      note.textContent = text;
      note.hidden = false;
      if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
      return true;
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors();
      const body = {};
      form.querySelectorAll("[data-initial]").forEach((input) => {
        const now = value(input);
        if (now !== initial(input)) body[input.name] = input.name === "assistance_category" && now === "" ? null : now;
      });
      const reason = form.querySelector("#f-reason").value.trim();
      if (!Object.keys(body).length) { status.textContent = S.unchanged; return; }
      if (!reason) { mark("reason", S.reason_required); status.textContent = S.refused; return; }
      body.reason = reason;
      const key = JSON.stringify(body);
      if (!sent.has(key)) sent.set(key, clientId());
      save.disabled = true;
      status.textContent = S.saving;
      let result;
      try {
        result = await patchJSON(settings.api, Object.assign({ client_id: sent.get(key) }, body));
      } catch (error) {
        status.textContent = S.offline;
        save.disabled = false;
        return;
      }
      save.disabled = false;
      if (result.ok) {
        status.textContent = S.saved;
        window.location.assign(`${window.location.pathname}?saved=1`);
        return;
      }
      const error = (result.answer && result.answer.error) || {};
      if (result.status === 409 && error.code === "capacity_exceeded") {
        mark("members", S.capacity.replace("{free}", R.fmtNumber((error.detail || {}).free_capacity)));
        status.textContent = S.refused;
      } else if (error.code === "client_id_reused") {
        status.textContent = S.reused;
      } else if (result.status === 401 || result.status === 403) {
        status.textContent = S.forbidden;
      } else if (result.status === 503 || result.status === 429) {
        status.textContent = S.busy;
      } else {
        const field = error.field;
        status.textContent = S.refused;
        if (!(field && S.fields[field] && mark(field, S.fields[field]))) status.textContent = S.failed;
      }
    });
  }

  if (document.getElementById("relief-styles")) R.loadStyles().catch(() => {});
  search();
  edit();
})();

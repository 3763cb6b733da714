/* The site page (templates/site.html): occupancy, households checked in, check-in and check-out, status,
 * stock and days of cover.
 *
 * Reads: GET /sites/<id>/occupants.json (the site's figures and its households), GET /api/households?q=
 * (finding a household), GET /api/cover?site_id= and GET /api/stock/balances?holder_kind=site&holder_id=.
 * Writes go through the JSON API with a client_id: POST /api/households/<id>/checkin and /checkout,
 * POST /api/sites/<id>/status. A send that got no answer (network, busy server) keeps its client_id, so
 * sending the same form again cannot do the work twice; a refusal is shown beside its form, worded from
 * the error's code in the page's language. Every word comes from the server (#site-settings).
 */
(function () {
  "use strict";
  const R = window.relief;
  const el = R.el;
  const settings = JSON.parse(document.getElementById("site-settings").textContent);
  const S = settings.strings;
  const urls = settings.urls;
  const $ = (id) => document.getElementById(id);

  /* "{free} places" with {free: 3} → "3 places". */
  function fill(text, values) {
    return String(text).replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
  }

  function num(value, digits) {
    return R.fmtNumber(value, { digits: digits === undefined ? 2 : digits, blank: "—" });
  }

  /* ---- client ids: one per distinct request until it has an answer ------------------------------ */
  const newClientId = () => `site-${window.relief.newId()}`;

  const pending = new Map();  // request key → client_id, kept while the outcome is unknown

  /* POST body to url with a client_id that stays the same for the same request until it is answered. */
  async function send(url, body) {
    const key = `${url} ${JSON.stringify(body)}`;
    if (!pending.has(key)) pending.set(key, newClientId());
    try {
      const answer = await R.postJSON(url, Object.assign({ client_id: pending.get(key) }, body));
      pending.delete(key);
      return answer;
    } catch (error) {
      const unknown = error.status === undefined || error.status >= 500;  // no answer: it may have been done
      if (!unknown) pending.delete(key);
      throw error;
    }
  }

  /* A refusal in the page's language, from the error's code and detail (never the server's English). */
  function explain(error) {
    if (error.status === undefined) return S.err_network;
    const body = (error.answer && error.answer.error) || {};
    const detail = body.detail || {};
    switch (body.code) {
      case "capacity_exceeded":
        return fill(S.err_capacity_exceeded, { free: R.fmtNumber(detail.free_capacity),
                                                needed: R.fmtNumber(detail.needed) });
      case "conflict":
        return detail.status && detail.status !== "open" ? S.err_site_closed : S.err_conflict;
      case "forbidden": return S.err_forbidden;
      case "not_authenticated": return S.err_not_authenticated;
      case "not_found": return S.err_not_found;
      case "invalid": return fill(S.err_invalid, { field: settings.fields[body.field] || body.field || "?" });
      case "client_id_reused": return S.err_client_id_reused;
      case "busy": return S.err_busy;
      default: return fill(S.err_other, { code: body.code || error.status });
    }
  }

  function say(target, text, state) {
    const node = $(target);
    if (!node) return;
    node.textContent = text || "";
    node.dataset.state = state || "";
    delete node.dataset.code;
  }

  function sayError(target, error) {
    const node = $(target);
    if (!node) return;
    node.textContent = explain(error);
    node.dataset.state = "error";
    node.dataset.code = (error.answer && error.answer.error && error.answer.error.code) || "network";
  }

  /* ---- occupancy ---------------------------------------------------------------------------------- */
  function showSite(site) {
    $("occupants").textContent = R.fmtNumber(site.occupants);
    $("capacity").textContent = R.fmtNumber(site.capacity_persons);
    $("households").textContent = R.fmtNumber(site.households);
    $("free").textContent = R.fmtNumber(site.free_capacity);
    $("m2").textContent = num(site.m2_per_person);
    const space = $("space");
    space.className = `space space-${site.space}`;
    space.textContent = settings.space[site.space] || "";
    const meter = $("fill");
    meter.max = site.capacity_persons;
    meter.value = site.occupants;
    meter.textContent = `${site.occupants} / ${site.capacity_persons}`;
    $("full-flag").hidden = !site.full;
    const status = $("site-status");
    status.className = `site-status is-${site.status}`;
    status.dataset.status = site.status;
    status.textContent = settings.statuses[site.status] || site.status;
  }

  /* The site as a write's answer shows it (a map feature): the figures at once, before the full reload. */
  function showFeature(features) {
    const feature = (features || []).find((f) => f.id === settings.siteId);
    if (!feature) return;
    const p = feature.properties;
    $("occupants").textContent = R.fmtNumber(p.occupants);
    $("free").textContent = R.fmtNumber(p.free_capacity);
    $("m2").textContent = num(p.m2_per_person);
    $("fill").value = p.occupants;
  }

  /* ---- households here ---------------------------------------------------------------------------- */
  function household(row) {
    const name = el("a", { href: urls.household.replace("{id}", encodeURIComponent(row.household_id)) }, row.name);
    return el("span", {}, [name, " ", el("span", { class: "muted" }, row.household_id)]);
  }

  /* An area's name ({"zh", "en"}, or already a string) in the page's language. */
  function areaName(names) {
    if (!names) return "";
    if (typeof names === "string") return names;
    return (R.zh ? names.zh || names.en : names.en || names.zh) || "";
  }

  function occupantRow(row) {
    const cells = [
      el("th", { scope: "row" }, [household(row)]),
      el("td", { class: "num" }, R.fmtNumber(row.members)),
      el("td", {}, areaName(row.village_name) || "—"),
      el("td", {}, [row.checked_in_at ? el("time", { datetime: row.checked_in_at }, R.fmtTime(row.checked_in_at))
                                      : el("span", { class: "muted" }, S.unknown_time)]),
    ];
    if (settings.mayMove) {
      const button = el("button", { type: "button", class: "button small", "data-action": "checkout" }, S.check_out);
      button.addEventListener("click", () => openCheckout(row));
      cells.push(el("td", {}, [button]));
    }
    return el("tr", { "data-household": row.household_id }, cells);
  }

  let here = new Set();

  async function loadOccupants() {
    const answer = await R.getJSON(urls.occupants);
    showSite(answer.site);
    here = new Set(answer.households.map((h) => h.household_id));
    const body = $("occupant-rows");
    const columns = settings.mayMove ? 5 : 4;
    body.replaceChildren(...(answer.households.length ? answer.households.map(occupantRow)
      : [el("tr", {}, [el("td", { colspan: columns, class: "muted" }, S.none_here)])]));
    body.dataset.count = String(answer.households.length);
    markFound();
    return answer;
  }

  /* ---- stock and days of cover -------------------------------------------------------------------- */
  function guaranteeName(g) { return S[g] || g; }

  function forecastLine(entry) {
    let text;
    if (entry.supplied) text = S.supplied;
    else if (entry.days === null || entry.days === undefined) text = "—";
    else {
      text = fill(S.days, { days: num(entry.days, 1) });
      if (entry.run_out_at) text += ` · ${fill(S.runs_out, { when: R.fmtTime(entry.run_out_at) })}`;
    }
    return el("li", { "data-guarantee": entry.guarantee }, [el("strong", {}, `${guaranteeName(entry.guarantee)}: `), text]);
  }

  async function loadStock() {
    const [cover, stock] = await Promise.all([R.getJSON(urls.cover), R.getJSON(urls.balances)]);
    const site = (cover.sites || [])[0] || { forecast: [], items: [] };
    $("forecast").replaceChildren(...site.forecast.map(forecastLine));
    const days = new Map(site.items.map((i) => [i.item_code, i]));
    const held = stock.balances.filter((b) => b.quantity !== 0);
    $("stock-rows").replaceChildren(...(held.length ? held.map((b) => {
      const c = days.get(b.item_code) || {};
      const unit = settings.units[b.item_unit] || b.item_unit || "";
      const lasting = c.supplied ? S.supplied : c.consumed_daily === false ? S.not_consumed_daily : num(c.days, 1);
      return el("tr", { "data-item": b.item_code }, [
        el("th", { scope: "row" }, b.item_name || b.item_code),
        el("td", { class: "num" }, `${R.fmtNumber(b.quantity)} ${unit}`.trim()),
        el("td", { class: "num" }, lasting),
        el("td", {}, c.run_out_at ? R.fmtTime(c.run_out_at) : "—"),
      ]);
    }) : [el("tr", {}, [el("td", { colspan: 4, class: "muted" }, S.no_stock)])]));
  }

  async function refresh() {
    await Promise.all([loadOccupants(), loadStock().catch(() => {})]);
  }

  /* ---- check in: find a household, place it ------------------------------------------------------ */
  /* A search row, read leniently: the head's name as name or head_name, village and site by name. */
  function found(row) {
    const village = row.village_name !== undefined ? row.village_name : row.village && row.village.name;
    const site = row.site || {};
    return {
      household_id: row.household_id, name: row.name || row.head_name || row.household_id, members: row.members,
      id_number: row.id_number_masked || "", shelter: row.shelter, village: areaName(village),
      site_id: row.site_id !== undefined ? row.site_id : site.id, site_name: row.site_name || site.name,
    };
  }

  function whereNow(row) {
    if (row.shelter === settings.shelter.site) {
      return row.site_id === settings.siteId ? S.here_already
        : fill(S.at_site, { site: row.site_name || row.site_id || "?" });
    }
    return settings.shelters[row.shelter] || "";
  }

  function markFound() {
    document.querySelectorAll("#found li[data-household]").forEach((li) => {
      const button = li.querySelector("button");
      const isHere = here.has(li.dataset.household);
      li.dataset.here = isHere ? "1" : "0";
      if (button) button.disabled = isHere;
    });
  }

  function foundItem(answer) {
    const row = found(answer);
    const button = el("button", { type: "button", class: "button small", "data-action": "checkin" }, S.check_in);
    button.addEventListener("click", () => checkIn(row, button));
    const facts = [`${R.fmtNumber(row.members)} ${S.members}`, row.village, whereNow(row)].filter(Boolean);
    return el("li", { "data-household": row.household_id }, [
      el("span", { class: "who" }, [el("strong", {}, row.name), " ",
                                    el("span", { class: "muted" }, [row.household_id, row.id_number].join(" "))]),
      el("span", { class: "muted" }, facts.join(" · ")),
      button,
    ]);
  }

  let asked = 0;
  async function search(text) {
    const q = text.trim();
    const mine = ++asked;
    if (q.length < (/[^\x00-\x7f]/.test(q) ? 1 : 2)) {  // one Chinese character names a surname
      $("found").replaceChildren();
      say("checkin-message", q ? S.type_more : "", "");
      return;
    }
    say("checkin-message", S.searching, "busy");
    try {
      const answer = await R.getJSON(`${urls.households}?q=${encodeURIComponent(q)}&limit=10`);
      if (mine !== asked) return;  // a later search has started
      $("found").replaceChildren(...answer.rows.map(foundItem));
      markFound();
      say("checkin-message", answer.rows.length ? "" : S.no_match, answer.rows.length ? "" : "empty");
    } catch (error) {
      if (mine === asked) sayError("checkin-message", error);
    }
  }

  async function checkIn(row, button) {
    button.disabled = true;
    say("checkin-message", S.sending, "busy");
    const reason = $("checkin-reason").value.trim();
    const body = { site_id: settings.siteId };
    if (reason) body.reason = reason;
    try {
      const answer = await send(urls.checkin.replace("{id}", encodeURIComponent(row.household_id)), body);
      showFeature(answer.sites);
      say("checkin-message", fill(S.checked_in, { name: row.name }), "ok");
      await refresh();
    } catch (error) {
      sayError("checkin-message", error);
      button.disabled = false;
    }
  }

  /* ---- check out ----------------------------------------------------------------------------------- */
  let leaving = null;

  function openCheckout(row) {
    leaving = row;
    const form = $("checkout-form");
    $("checkout-who").textContent = `${row.name} (${R.fmtNumber(row.members)} ${S.members})`;
    form.hidden = false;
    $("checkout-to").focus();
  }

  function closeCheckout() {
    leaving = null;
    $("checkout-form").hidden = true;
    $("checkout-form").reset();
    $("dispersed-row").hidden = true;
  }

  async function checkOut(event) {
    event.preventDefault();
    if (!leaving) return;
    const row = leaving;
    const body = { to: $("checkout-to").value };
    if (body.to === settings.shelter.dispersed) {
      body.dispersed_kind = $("checkout-kind").value;
      if (!body.dispersed_kind) { say("checkout-message", S.need_kind, "error"); $("checkout-kind").focus(); return; }
    }
    const reason = $("checkout-reason").value.trim();
    if (reason) body.reason = reason;
    const button = $("checkout-send");
    button.disabled = true;
    say("checkout-message", S.sending, "busy");
    try {
      const answer = await send(urls.checkout.replace("{id}", encodeURIComponent(row.household_id)), body);
      showFeature(answer.sites);
      closeCheckout();
      say("checkout-message", fill(S.checked_out, { name: row.name }), "ok");
      await refresh();
    } catch (error) {
      sayError("checkout-message", error);
    } finally {
      button.disabled = false;
    }
  }

  /* ---- status ------------------------------------------------------------------------------------- */
  async function saveStatus(event) {
    event.preventDefault();
    const reason = $("status-reason").value.trim();
    if (!reason) { say("status-message", S.need_reason, "error"); $("status-reason").focus(); return; }
    const button = $("status-send");
    button.disabled = true;
    say("status-message", S.sending, "busy");
    try {
      const answer = await send(urls.status, { status: $("status-choice").value, reason });
      say("status-message", answer.changed ? S.status_saved : S.status_same, "ok");
      if (answer.changed) $("status-reason").value = "";
      await refresh();
    } catch (error) {
      sayError("status-message", error);
    } finally {
      button.disabled = false;
    }
  }

  /* ---- start -------------------------------------------------------------------------------------- */
  function start() {
    if (settings.mayMove) {
      const find = $("find");
      const later = R.debounce((text) => search(text), 300);
      find.addEventListener("input", () => later(find.value));
      $("find-form").addEventListener("submit", (event) => { event.preventDefault(); search(find.value); });
      $("checkout-form").addEventListener("submit", checkOut);
      $("checkout-cancel").addEventListener("click", closeCheckout);
      $("checkout-to").addEventListener("change", () => {
        $("dispersed-row").hidden = $("checkout-to").value !== settings.shelter.dispersed;
      });
    }
    if (settings.mayManage) $("status-form").addEventListener("submit", saveStatus);
    $("occupant-rows").replaceChildren(el("tr", {}, [el("td", { colspan: 5, class: "muted" }, S.loading)]));
    Promise.all([
      loadOccupants().catch((error) => say("checkout-message", `${S.failed}: ${explain(error)}`, "error")),
      loadStock().catch((error) => $("forecast").replaceChildren(el("li", { class: "muted" },
                                                                   `${S.failed}: ${explain(error)}`))),
    ]).then(() => { document.body.dataset.siteReady = "1"; });
  }

  window.reliefSite = { refresh, search };
  start();
})();

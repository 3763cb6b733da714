/* The warehouse page (/stock) and the donation form (/donations/new): usable on a phone with a bad network.
 *
 * Each entry (receipt, transfer, hand-out, correction, donation) gets a client-made id
 * (crypto.randomUUID()) and is saved in an outbox in IndexedDB before it is sent, the way the field
 * report page does it (static/js/report.js). When the network is down, or a request gets no answer,
 * the entry stays "queued" and is sent again, with the same id and the same body, when the browser
 * comes back online, when the page loads and every RETRY_MS. The server answers a resent id with the
 * first answer (200), so an entry is recorded once however often it travels. A refusal (4xx) is worded
 * in the page's language next to the field it names. Text typed by users only enters the page through
 * textContent (relief.el). */
(function () {
  "use strict";
  const { el, csrfToken, fmtTime, fmtNumber, getJSON, debounce } = window.relief;
  const $ = (id) => document.getElementById(id);
  const settings = JSON.parse($("stock-settings").textContent);
  const t = JSON.parse($("stock-i18n").textContent);
  const RETRY_MS = 15000;
  const TIMEOUT_MS = 30000;
  const KEEP_SENT_MS = 24 * 3600 * 1000;
  const STOCK_KINDS = ["receipt", "transfer", "distribution", "adjustment"];
  const shownKinds = settings.page === "donation" ? ["donation"] : STOCK_KINDS;
  const fill = (text, values) => String(text).replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
  const itemOf = (code) => (settings.items || {})[code] || { name: code, unit: "" };
  const unitWord = (unit) => (settings.units || {})[unit] || unit || "";

  /* --- the outbox in IndexedDB ------------------------------------------------------------------ */
  const outbox = window.relief.outbox("relief-stock");
  const allEntries = outbox.all, saveEntry = outbox.save, dropEntry = outbox.drop;

  const newId = window.relief.newId;

  /* --- the server's refusals, worded in the page's language ---------------------------------------- */
  const HOLDER_FIELDS = ["holder_kind", "holder_id", "from_kind", "from_id", "to_kind", "to_id",
    "destination_kind", "destination_id"];
  const FORM_FIELD = { to_kind: "to", to_id: "to", destination_kind: "destination", destination_id: "destination",
    distributed_at: "" };

  function wordError(error) {
    const code = (error && error.code) || "error";
    const field = (error && error.field) || "";
    const detail = (error && error.detail) || {};
    // Duplicate aid: the server words what the household had already, and from whom, in the page's language.
    if (code === "duplicate_aid") return (error && error.message) || fill(t.error_other, { code });
    if (code === "insufficient_stock") {
      const unit = unitWord(itemOf(detail.item_code).unit);
      return fill(t.error_stock, { requested: `${fmtNumber(detail.requested)} ${unit}`.trim(),
        available: `${fmtNumber(detail.available)} ${unit}`.trim() });
    }
    if (code === "not_found") {
      if (HOLDER_FIELDS.includes(field)) return t.error_holder;
      if (field === "household_id") return t.error_household;
      if (field === "item_code") return t.error_item;
    }
    if (code === "invalid") {
      if (field === "quantity" || field === "amount_yuan") return t.error_quantity;
      if (field === "reason") return t.error_reason;
      if (field === "received_at" || field === "distributed_at") return t.error_time;
      if (field === "to_id") return t.error_same_holder;
      if (field === "donor_name") return t.error_required;
      return t.error_invalid;
    }
    if (code === "client_id_reused") return t.error_reused;
    if (code === "not_authenticated" || field === "csrf_token" || code === "csrf") return t.error_login;
    if (code === "forbidden") return t.error_forbidden;
    return fill(t.error_other, { code });
  }

  /* --- sending ------------------------------------------------------------------------------------- */
  let flushing = false;

  async function send(entry) {
    entry.status = "sending";
    entry.reason = "";
    entry.attempts = (entry.attempts || 0) + 1;
    await saveEntry(entry);
    render();
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    let response;
    let answer = null;
    try {
      response = await fetch(entry.url, {
        method: "POST", credentials: "same-origin", body: JSON.stringify(entry.body), signal: abort.signal,
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      });
      answer = await response.json().catch(() => null);
    } catch (networkError) {  // no answer at all: the same entry goes again later
      entry.status = "queued";
      entry.reason = t.network_wait;
      await saveEntry(entry);
      render();
      return entry;
    } finally {
      clearTimeout(timer);
    }
    if (response.ok) {  // 201 the first time, 200 for a resend the server had already recorded
      entry.status = "sent";
      entry.sent_at = new Date().toISOString();
      entry.answer = summary(entry, answer || {});
    } else if (response.status >= 500 || response.status === 408 || response.status === 429) {
      entry.status = "queued";
      entry.reason = t.server_busy;
    } else {
      entry.status = "failed";
      entry.error = (answer && answer.error) || { code: `http_${response.status}` };
      entry.reason = wordError(entry.error);
    }
    await saveEntry(entry);
    render();
    if (entry.status === "sent") refreshTables();
    return entry;
  }

  /* What to show of the server's answer: the balance after it, or the donation's public face. */
  function summary(entry, answer) {
    if (entry.kind === "donation") return { donor: answer.public && answer.public.donor };
    const balance = entry.kind === "transfer" ? (answer.balances || {}).from : answer.balance;
    return { balance, item_code: entry.body.item_code };
  }

  async function flush() {
    if (flushing || !navigator.onLine) return;
    flushing = true;
    try {
      const waiting = (await allEntries()).filter((e) => e.status === "queued")
        .sort((a, b) => a.created_at.localeCompare(b.created_at));
      for (const entry of waiting) {
        if (!navigator.onLine) break;
        if ((await send(entry)).status === "queued") break;  // the network went again: later
      }
    } finally {
      flushing = false;
    }
  }

  /* --- the outbox on screen -------------------------------------------------------------------------- */
  function button(label, onClick) {
    const b = el("button", { type: "button" }, label);
    b.addEventListener("click", onClick);
    return b;
  }

  function describe(entry) {
    const body = entry.body;
    if (entry.kind === "donation") {
      const what = body.kind === "cash" ? `¥${fmtNumber(body.amount_yuan)}`
        : `${itemOf(body.item_code).name} ${fmtNumber(body.quantity)} ${unitWord(itemOf(body.item_code).unit)}`;
      return `${body.donor_name} · ${what}`;
    }
    const item = itemOf(body.item_code);
    const parts = [`${item.name} ${fmtNumber(body.quantity)} ${unitWord(item.unit)}`];
    if (entry.holder_name) parts.push(entry.holder_name);
    if (body.household_id) parts.push(body.household_id);
    if (entry.to_name) parts.push(`→ ${entry.to_name}`);
    return parts.join(" · ");
  }

  let rendering = Promise.resolve();
  function render() {
    rendering = rendering.then(drawQueue, drawQueue);
    return rendering;
  }

  async function drawQueue() {
    const list = $("queue");
    if (!list) return;
    const entries = (await allEntries()).filter((e) => shownKinds.includes(e.kind))
      .sort((a, b) => b.created_at.localeCompare(a.created_at));
    list.replaceChildren(...entries.map((e) => {
      const item = el("li", { class: `entry-item status-${e.status}`, "data-client-id": e.client_id,
        "data-status": e.status, "data-kind": e.kind });
      item.append(el("div", { class: "head" }, [el("strong", {}, t[e.kind] || e.kind),
        el("span", { class: "state" }, t[e.status] || e.status)]));
      item.append(el("div", { class: "meta" }, `${fmtTime(e.created_at)} · ${describe(e)}`));
      if (e.reason) item.append(el("div", { class: "reason" }, e.reason));
      const actions = el("div", { class: "actions" });
      if (e.status === "failed") {
        actions.append(button(t.retry, async () => {
          e.status = "queued"; e.reason = ""; await saveEntry(e); render(); flush();
        }));
      }
      if (e.status === "failed" || e.status === "sent") {
        actions.append(button(t.remove, async () => { await dropEntry(e.client_id); render(); }));
      }
      if (actions.childElementCount) item.append(actions);
      return item;
    }));
    const pending = entries.filter((e) => e.status === "queued" || e.status === "sending").length;
    $("queue-count").textContent = pending ? fill(t.pending, { n: pending }) : t.nothing_pending;
    document.body.setAttribute("data-pending", String(pending));
  }

  /* --- balances and ledger, fresh after each entry that reached the server --------------------------- */
  async function refreshTables() {
    if (settings.page !== "stock" || !settings.holder || !navigator.onLine) return;
    const holder = `holder_kind=${encodeURIComponent(settings.holder.kind)}&holder_id=${encodeURIComponent(settings.holder.id)}`;
    try {
      const balances = await getJSON(`${settings.urls.balances}?${holder}`);
      $("balances").tBodies[0].replaceChildren(...balances.balances.map((b) => el("tr", { "data-item": b.item_code }, [
        el("td", {}, b.item_name || b.item_code), el("td", { class: "num" }, fmtNumber(b.quantity, { digits: 3 })),
        el("td", {}, unitWord(b.item_unit))])));
      $("no-balances").hidden = balances.balances.length > 0;
      if (!settings.firstPage) return;  // an older page stays as it was asked for
      const ledger = await getJSON(`${settings.urls.ledger}?${holder}&limit=${settings.ledgerPage}`);
      $("ledger").tBodies[0].replaceChildren(...ledger.lines.map(ledgerRow));
      $("no-ledger").hidden = ledger.lines.length > 0;
    } catch (error) {
      console.warn("could not refresh the tables", error);
    }
  }

  function ledgerRow(line) {
    const item = itemOf(line.item_code);
    const kind = (settings.movementWords || {})[line.kind] || line.kind;
    const source = line.source ? ` · ${(settings.sourceWords || {})[line.source] || line.source}` : "";
    const signed = `${line.quantity > 0 ? "+" : ""}${fmtNumber(line.quantity, { digits: 3 })} ${unitWord(item.unit)}`;
    const note = [line.household_id, line.reason].filter(Boolean).join(" · ");
    return el("tr", { "data-movement": line.id, "data-kind": line.kind, "data-household": line.household_id }, [
      el("td", {}, [el("time", { datetime: line.at }, fmtTime(line.at))]), el("td", {}, kind + source),
      el("td", {}, item.name), el("td", { class: "num" }, signed.trim()), el("td", {}, note)]);
  }

  /* --- the forms --------------------------------------------------------------------------------------- */
  function quantityOf(form) {
    const text = (form.elements.quantity ? form.elements.quantity.value : "").trim().replace(",", ".");
    const value = Number(text);
    return text !== "" && Number.isFinite(value) && value > 0 ? value : null;
  }

  function holderRef(value) {
    const at = (value || "").indexOf(":");
    return at < 0 ? null : { kind: value.slice(0, at), id: value.slice(at + 1) };
  }

  function holderName(ref) {
    const found = (settings.holders || []).find((h) => ref && h.kind === ref.kind && h.id === ref.id);
    return found ? found.name : ref ? ref.id : "";
  }

  /* The body for the API, or {field} when the phone can already tell what is missing. */
  function bodyOf(form) {
    const kind = form.dataset.kind;
    const f = form.elements;
    const here = settings.holder;
    const text = (name) => (f[name] && f[name].value.trim()) || undefined;
    if (kind === "donation") return donationBody(form);
    const quantity = quantityOf(form);
    if (quantity === null) return { field: "quantity", message: t.error_quantity };
    const body = { item_code: f.item_code.value, quantity };
    if (kind === "receipt") Object.assign(body, { holder_kind: here.kind, holder_id: here.id, source: f.source.value,
      reason: text("reason") });
    if (kind === "transfer") {
      const to = holderRef(f.to.value);
      if (!to) return { field: "to", message: t.error_holder };
      Object.assign(body, { from_kind: here.kind, from_id: here.id, to_kind: to.kind, to_id: to.id, reason: text("reason") });
    }
    if (kind === "distribution") {
      const household = chosenHousehold || text("household_id");
      if (!household) return { field: "household_id", message: t.error_required };
      Object.assign(body, { household_id: household, holder_kind: here.kind, holder_id: here.id,
        distributed_at: new Date().toISOString() });
      const override = $("override");
      if (override && !override.hidden) body.override_reason = text("override_reason");
    }
    if (kind === "adjustment") {
      if (!text("reason")) return { field: "reason", message: t.error_reason };
      const sign = Number((form.querySelector("input[name=sign]:checked") || { value: "-1" }).value);
      Object.assign(body, { holder_kind: here.kind, holder_id: here.id, quantity: sign * quantity, reason: text("reason") });
    }
    Object.keys(body).forEach((k) => { if (body[k] === undefined) delete body[k]; });
    return { body };
  }

  function donationBody(form) {
    const f = form.elements;
    const kind = form.querySelector("input[name=kind]:checked").value;
    const donor = f.donor_name.value.trim();
    if (!donor) return { field: "donor_name", message: t.error_required };
    const body = { kind, donor_name: donor, consent_public: f.consent_public.checked };
    if (f.donor_contact.value.trim()) body.donor_contact = f.donor_contact.value.trim();
    if (kind === "cash") {
      const amount = Number(f.amount_yuan.value.trim().replace(",", "."));
      if (!f.amount_yuan.value.trim() || !Number.isFinite(amount) || amount <= 0) {
        return { field: "amount_yuan", message: t.error_quantity };
      }
      body.amount_yuan = amount;
    } else {
      const quantity = quantityOf(form);
      if (quantity === null) return { field: "quantity", message: t.error_quantity };
      Object.assign(body, { item_code: f.item_code.value, quantity });
    }
    const destination = holderRef(f.destination.value);
    if (destination) Object.assign(body, { destination_kind: destination.kind, destination_id: destination.id });
    else if (kind !== "cash") return { field: "destination", message: t.error_holder };
    const received = f.received_at.value ? new Date(f.received_at.value) : new Date();
    if (isNaN(received)) return { field: "received_at", message: t.error_time };
    body.received_at = received.toISOString();
    return { body };
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-error-for]").forEach((node) => { node.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
  }

  function showError(form, field, message) {
    const name = field in FORM_FIELD ? FORM_FIELD[field] : field;
    const slot = (name && form.querySelector(`[data-error-for="${name}"]`)) || form.querySelector('[data-error-for=""]');
    slot.textContent = message;
    const input = name && form.elements[name];
    if (input && input.setAttribute) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  }

  function result(text) {
    const node = $("entry-result");
    if (node) node.textContent = text;
  }

  function resultText(entry) {
    const answer = entry.answer || {};
    if (entry.kind === "donation") return answer.donor ? `${t.saved} ${fill(t.on_public_page, { donor: answer.donor })}` : t.saved;
    if (answer.balance === undefined || answer.balance === null) return t.saved;
    const quantity = `${fmtNumber(answer.balance, { digits: 3 })} ${unitWord(itemOf(answer.item_code).unit)}`.trim();
    return `${t.saved} ${fill(t.balance_now, { quantity })}`;
  }

  function resetForm(form) {
    ["quantity", "amount_yuan", "reason", "household_id", "donor_name", "donor_contact", "received_at"].forEach((name) => {
      if (form.elements[name]) form.elements[name].value = "";
    });
    if (form.elements.consent_public) form.elements.consent_public.checked = false;
    showOverride(form, null);
    pickHousehold(null);
    firstField(form).focus();
  }

  async function onSubmit(event) {
    event.preventDefault();
    const form = event.currentTarget;
    clearErrors(form);
    result("");
    const made = bodyOf(form);
    if (!made.body) { showError(form, made.field, made.message); return; }
    const kind = form.dataset.kind;
    const entry = { client_id: newId(), kind, url: form.dataset.url, body: made.body, created_at: new Date().toISOString(),
      status: "queued", reason: navigator.onLine ? "" : t.network_wait, attempts: 0,
      holder_name: settings.holder ? settings.holder.name : "",
      to_name: kind === "transfer" ? holderName({ kind: made.body.to_kind, id: made.body.to_id }) : "" };
    entry.body.client_id = entry.client_id;
    await saveEntry(entry);
    render();
    if (!navigator.onLine) {
      result(t.saved_offline);
      resetForm(form);
      return;
    }
    const done = await send(entry);
    if (done.status === "failed") {
      // Refused while the form is still on screen: the person corrects it here, so it leaves the outbox.
      await dropEntry(entry.client_id);
      render();
      if (done.error.code === "duplicate_aid") { showOverride(form, done.reason); return; }
      showError(form, done.error.field || "", done.reason);
      return;
    }
    result(done.status === "sent" ? resultText(done) : t.saved_offline);
    resetForm(form);
  }

  /* A hand-out refused as duplicate aid: the reason stays on screen, and a reason field lets the keeper give
   * it anyway (sent as override_reason, recorded and reviewed); null hides and empties it. */
  function showOverride(form, message) {
    const box = form.querySelector("#override");
    if (!box) return;
    box.hidden = message === null;
    $("duplicate-aid").textContent = message || "";
    if (message === null) { form.elements.override_reason.value = ""; return; }
    form.elements.override_reason.focus();
  }

  /* Scan-friendly: Enter moves to the next field (a scanner ends each code with Enter); on the last, it sends. */
  function fieldsOf(form) {
    return Array.from(form.querySelectorAll("input, select, button[type=submit]")).filter((node) =>
      !node.disabled && node.type !== "hidden" && !node.closest("[hidden]") && (node.type !== "radio" || node.checked));
  }

  function firstField(form) {
    return fieldsOf(form)[0] || form;
  }

  function onKey(event) {
    if (event.key !== "Enter" || event.isComposing) return;
    const target = event.target;
    if (!target.form || target.tagName === "BUTTON" || target.tagName === "TEXTAREA") return;
    event.preventDefault();
    if (target.name === "household_id" && matches.length === 1 && !chosenHousehold) pickHousehold(matches[0]);
    const fields = fieldsOf(target.form);
    const next = fields[fields.indexOf(target) + 1];
    if (!next || next.type === "submit") target.form.requestSubmit();
    else next.focus();
  }

  /* --- tabs (warehouse page) --------------------------------------------------------------------------- */
  function showTab(kind, focus) {
    document.querySelectorAll("[data-tab]").forEach((tab) => {
      const on = tab.dataset.tab === kind;
      tab.setAttribute("aria-pressed", on ? "true" : "false");
      const form = $(`form-${tab.dataset.tab}`);
      form.hidden = !on;
      if (on && focus) firstField(form).focus();
    });
  }

  /* --- households: search by name (GET /api/households?q=), or a scanned / typed household ID -------- */
  let matches = [];
  let chosenHousehold = null;

  function pickHousehold(row) {
    chosenHousehold = row ? row.household_id : null;
    const input = $("household");
    if (!input) return;
    if (row) input.value = row.household_id;
    $("household-chosen").textContent = row ? `${t.chosen}: ${householdLabel(row)}` : "";
    matches = [];
    $("household-matches").replaceChildren();
  }

  function householdLabel(row) {
    return [row.name, row.members !== undefined && row.members !== null ? fill(t.members, { n: row.members }) : "",
      row.village_name, row.household_id].filter(Boolean).join(" · ");
  }

  const search = debounce(async (query) => {
    const list = $("household-matches");
    if (query.length < 2 || !navigator.onLine) { matches = []; list.replaceChildren(); return; }
    list.replaceChildren(el("li", { class: "hint" }, t.searching));
    try {
      const answer = await getJSON(`${settings.urls.households}?q=${encodeURIComponent(query)}&limit=8`);
      if ($("household").value.trim() !== query) return;  // the person typed on
      matches = answer.rows || [];
      list.replaceChildren(...(matches.length ? matches.map((row) => {
        const pick = el("button", { type: "button", class: "match", "data-household": row.household_id }, householdLabel(row));
        pick.addEventListener("click", () => { pickHousehold(row); focusAfterHousehold(); });
        return el("li", {}, [pick]);
      }) : [el("li", { class: "hint" }, t.no_match)]));
    } catch (error) {
      matches = [];
      list.replaceChildren(el("li", { class: "hint" }, t.search_failed));
    }
  }, 300);

  function focusAfterHousehold() {
    const fields = fieldsOf($("form-distribution"));
    const next = fields[fields.indexOf($("household")) + 1];
    if (next) next.focus();
  }

  /* --- the donation form: cash or goods ------------------------------------------------------------------ */
  function showDonationKind() {
    const form = $("form-donation");
    const cash = form.querySelector("input[name=kind]:checked").value === "cash";
    form.querySelectorAll("div.cash-only").forEach((node) => { node.hidden = !cash; });
    form.querySelectorAll("div.goods-only").forEach((node) => { node.hidden = cash; });
    const general = form.querySelector("option.cash-only");
    general.hidden = !cash;
    general.disabled = !cash;
    if (!cash && form.elements.destination.value === "") {
      const first = form.elements.destination.querySelector("option:not(.cash-only)");
      if (first) form.elements.destination.value = first.value;
    }
  }

  function showNetwork() {
    const net = $("net");
    if (!net) return;
    net.dataset.online = navigator.onLine ? "1" : "0";
    net.textContent = navigator.onLine ? t.online : t.offline;
  }

  /* --- start ----------------------------------------------------------------------------------------------- */
  async function start() {
    document.querySelectorAll("form.entry").forEach((form) => {
      form.addEventListener("submit", onSubmit);
      form.addEventListener("keydown", onKey);
    });
    document.querySelectorAll("[data-tab]").forEach((tab) => {
      tab.addEventListener("click", () => { showTab(tab.dataset.tab, true); history.replaceState(null, "", `#${tab.dataset.tab}`); });
    });
    const wanted = location.hash.slice(1);
    if (STOCK_KINDS.includes(wanted) && $(`form-${wanted}`)) showTab(wanted, true);
    const household = $("household");
    if (household) {
      household.addEventListener("input", () => {
        chosenHousehold = null;
        $("household-chosen").textContent = "";
        showOverride($("form-distribution"), null);  // another household: the refusal was not about it
        search(household.value.trim());
      });
    }
    if ($("form-donation")) {
      $("form-donation").querySelectorAll("input[name=kind]").forEach((r) => r.addEventListener("change", showDonationKind));
      showDonationKind();
    }
    window.addEventListener("online", () => { showNetwork(); flush(); });
    window.addEventListener("offline", showNetwork);
    showNetwork();
    // A send cut off by closing the page is safe to repeat: the id makes it the same entry.
    const now = Date.now();
    for (const e of await allEntries()) {
      if (e.status === "sending") { e.status = "queued"; await saveEntry(e); }
      if (e.status === "sent" && now - Date.parse(e.sent_at || e.created_at) > KEEP_SENT_MS) await dropEntry(e.client_id);
    }
    await render();
    setInterval(flush, RETRY_MS);
    flush();
    if (settings.page === "stock" && "serviceWorker" in navigator) {
      navigator.serviceWorker.register("/stock-sw.js", { scope: "/stock" })
        .catch((error) => console.warn("offline support unavailable", error));
    }
    document.body.setAttribute("data-stock-ready", "1");
  }

  window.reliefStock = { flush, allEntries, render, refreshTables };
  start();
})();

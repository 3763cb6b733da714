/* The inspection form (/inspections/new?house=…): works on a phone with a bad network.
 *
 * Each inspection is saved first in IndexedDB with a client_id made here (crypto.randomUUID()),
 * then sent as multipart (an "inspection" JSON part and the photos) to
 * POST /api/houses/<id>/inspections. Without a network it stays queued and goes when the browser
 * is back online (and every RETRY_MS); one send at a time, so it leaves once, and the server answers
 * a resent client_id with the first record, so a retry after a lost answer never files a second
 * inspection. States: queued, sending, sent, failed (refused: the reason is worded here in the
 * page's language from the answer's code and field). The service worker /inspection-sw.js keeps the
 * page and its assets, so the form opens with no network. Text only enters through textContent. */
(function () {
  "use strict";
  const R = window.relief;
  const { el, fmtTime, csrfToken } = R;
  const $ = (id) => document.getElementById(id);
  const settings = JSON.parse($("inspection-settings").textContent);
  const t = settings.strings, W = settings.words;
  const RETRY_MS = 15000;
  const TIMEOUT_MS = 30000;
  let csrf = csrfToken();

  /* --- the outbox in IndexedDB ------------------------------------------------------------------ */
  const outbox = window.relief.outbox("relief-inspection");
  const allRecords = outbox.all, saveRecord = outbox.save, dropRecord = outbox.drop;

  const newId = window.relief.newId;

  /* --- sending ------------------------------------------------------------------------------------ */
  function refusal(status, body) {
    const error = (body && body.error) || {};
    if (status === 401) return t.refused_login;
    if (status === 403) return t.refused_role;
    if (status === 404) return t.refused_house;
    if (error.code === "client_id_reused") return t.refused_reused;
    if (error.field === "milestone") return t.refused_milestone;
    if (error.field && error.field.startsWith("photos")) return t.refused_photo;
    return t.refused_other.replace("{message}", error.message || `HTTP ${status}`);
  }

  /* A session's CSRF token never expires, but a page kept offline may predate a new login: fetch a fresh one. */
  async function freshToken() {
    try {
      const page = await fetch(settings.scope + "new", { credentials: "same-origin", cache: "no-store" });
      const found = (await page.text()).match(/name="csrf-token" content="([^"]+)"/);
      if (found) csrf = found[1];
      return Boolean(found);
    } catch (error) {
      return false;
    }
  }

  async function post(record) {
    const form = new FormData();
    form.append("inspection", JSON.stringify(record.payload));
    (record.photos || []).forEach((photo, i) => form.append("photos", photo, photo.name || `photo-${i}.jpg`));
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    try {
      const response = await fetch(`/api/houses/${encodeURIComponent(record.house_id)}/inspections`, {
        method: "POST", body: form, credentials: "same-origin", signal: abort.signal,
        headers: { "X-CSRFToken": csrf, Accept: "application/json" } });
      return { response, body: await response.json().catch(() => null) };
    } finally {
      clearTimeout(timer);
    }
  }

  async function send(record) {
    Object.assign(record, { status: "sending", reason: "", attempts: (record.attempts || 0) + 1 });
    await saveRecord(record);
    render();
    let answer;
    try {
      answer = await post(record);
      const error = answer.body && answer.body.error;
      if (answer.response.status === 403 && error && error.field === "csrf_token" && await freshToken()) {
        answer = await post(record);
      }
    } catch (networkError) {
      Object.assign(record, { status: "queued", reason: t.network_wait });
      await saveRecord(record);
      render();
      return false;
    }
    const { response, body } = answer;
    if (response.ok) {
      const inspection = (body && body.inspection) || {};
      Object.assign(record, { status: "sent", server_id: inspection.id, photo_count: (record.photos || []).length,
        photos: [], sent_at: new Date().toISOString() });  // the server has the photos: free the phone's storage
    } else if (response.status >= 500 || response.status === 408 || response.status === 429) {
      Object.assign(record, { status: "queued", reason: t.server_busy });
    } else {
      Object.assign(record, { status: "failed", http_status: response.status, reason: refusal(response.status, body) });
    }
    await saveRecord(record);
    render();
    return record.status !== "queued";
  }

  let flushing = false;
  async function flush() {
    if (flushing || !navigator.onLine) return;
    flushing = true;
    try {
      const waiting = (await allRecords()).filter((r) => r.status === "queued")
        .sort((a, b) => a.created_at.localeCompare(b.created_at));
      for (const record of waiting) {
        if (!navigator.onLine || !(await send(record))) break;  // the network went: later
      }
    } finally {
      flushing = false;
    }
  }

  /* --- the list ------------------------------------------------------------------------------------ */
  function button(label, onClick) {
    const b = el("button", { type: "button", class: "button small" }, label);
    b.addEventListener("click", onClick);
    return b;
  }

  let rendering = Promise.resolve();
  function render() {
    rendering = rendering.then(drawList, drawList);
    return rendering;
  }

  async function drawList() {
    const records = (await allRecords()).sort((a, b) => b.created_at.localeCompare(a.created_at));
    $("outbox").replaceChildren(...records.map((r) => {
      const item = el("li", { class: `rc-item status-${r.status}`, "data-client-id": r.client_id,
        "data-status": r.status, "data-house": r.house_id });
      item.append(el("div", { class: "head" }, [
        el("strong", {}, `${t.house} ${r.house_id} · ${W.stages[r.payload.milestone] || r.payload.milestone}`),
        el("span", { class: "state" }, t[r.status] || r.status)]));
      item.append(el("div", { class: "meta" }, `${W.results[r.payload.result] || r.payload.result} · ` +
        `${fmtTime(r.payload.inspected_at)} · ${(r.photos || []).length || r.photo_count || 0} ${t.photos}` +
        (r.server_id ? ` · #${r.server_id}` : "")));
      if (r.payload.note) item.append(el("div", { class: "text" }, r.payload.note));
      if (r.reason) item.append(el("div", { class: "reason" }, r.reason));
      const actions = el("div", { class: "actions" });
      if (r.status === "failed") {
        actions.append(button(t.retry, async () => {
          Object.assign(r, { status: "queued", reason: "" });
          await saveRecord(r);
          render();
          flush();
        }));
      }
      if (r.status === "failed" || r.status === "sent") {
        actions.append(button(t.remove, async () => { await dropRecord(r.client_id); render(); }));
      }
      if (actions.childElementCount) item.append(actions);
      return item;
    }));
    const waiting = records.filter((r) => r.status === "queued" || r.status === "sending").length;
    $("queue-state").textContent = waiting ? t.waiting_count.replace("{n}", waiting) : t.all_sent;
    document.body.setAttribute("data-waiting", String(waiting));
  }

  /* --- position from the phone ---------------------------------------------------------------------- */
  function note(text) { if ($("position")) $("position").textContent = text; }

  function locate() {
    if (!$("lat")) return;
    if (!navigator.geolocation) { note(t.no_position); return; }
    note(t.locating);
    navigator.geolocation.getCurrentPosition((p) => {
      $("lat").value = p.coords.latitude.toFixed(6);
      $("lon").value = p.coords.longitude.toFixed(6);
      note(t.located.replace("{lat}", p.coords.latitude.toFixed(5)).replace("{lon}", p.coords.longitude.toFixed(5))
        .replace("{m}", Math.round(p.coords.accuracy)));
    }, (error) => note(t.gps_failed.replace("{why}", error.message || error.code)),
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  /* --- the form ------------------------------------------------------------------------------------ */
  async function onSubmit(event) {
    event.preventDefault();
    $("form-error").textContent = "";
    const result = document.querySelector("input[name=result]:checked");
    if (!$("milestone").value) { $("form-error").textContent = t.need_milestone; return; }
    if (!result) { $("form-error").textContent = t.need_result; return; }
    const payload = { client_id: newId(), milestone: $("milestone").value, result: result.value,
      inspected_at: new Date().toISOString() };
    const text = $("note").value.trim();
    if (text) payload.note = text;
    if ($("lat").value && $("lon").value) { payload.lat = Number($("lat").value); payload.lon = Number($("lon").value); }
    await saveRecord({ client_id: payload.client_id, house_id: settings.houseId, created_at: new Date().toISOString(),
      status: "queued", reason: navigator.onLine ? "" : t.network_wait, attempts: 0, payload,
      photos: Array.from($("photos").files) });
    $("note").value = "";
    $("photos").value = "";
    result.checked = false;
    await render();
    flush();
  }

  function showNetwork() {
    $("net").dataset.online = navigator.onLine ? "1" : "0";
    $("net").textContent = navigator.onLine ? t.online : t.offline;
  }

  async function start() {
    if ($("inspection-form")) {
      $("inspection-form").addEventListener("submit", onSubmit);
      $("locate").addEventListener("click", locate);
      locate();
    }
    window.addEventListener("online", () => { showNetwork(); flush(); });
    window.addEventListener("offline", showNetwork);
    showNetwork();
    for (const r of await allRecords()) {  // a send cut off by closing the page is safe to repeat
      if (r.status === "sending") { r.status = "queued"; await saveRecord(r); }
    }
    await render();
    setInterval(flush, RETRY_MS);
    flush();
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register(settings.worker, { scope: settings.scope })
        .then(() => navigator.serviceWorker.ready)
        .then((registration) => new Promise((resolve) => {
          const channel = new MessageChannel();
          channel.port1.onmessage = (event) => resolve(event.data && event.data.kept);
          registration.active.postMessage({ keep: location.href }, [channel.port2]);
        }))
        .then((kept) => { if (kept) document.body.setAttribute("data-kept-offline", "1"); })
        .catch((error) => console.warn("offline support unavailable", error));
    }
    document.body.setAttribute("data-inspection-ready", "1");
  }

  window.reliefInspection = { flush, allRecords, render };
  start();
})();

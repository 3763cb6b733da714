/* Field report page: works on a phone with a bad network.
 *
 * Every report is first saved in IndexedDB with a client-made id
 * (crypto.randomUUID()), then sent; if the network is down it stays
 * "queued" and is retried when the browser comes back online and every
 * RETRY_MS. The server treats a resent id as the same report, so a retry
 * after a lost answer never makes a second incident. States shown:
 * queued, sending, sent, failed (the server refused it; the reason is shown).
 * Text typed by users is only ever inserted with textContent (relief.el, common.js). */
(function () {
  "use strict";
  const R = window.relief;
  const { el, csrfToken, fmtTime } = R;
  const $ = (id) => document.getElementById(id);
  const settings = JSON.parse($("report-settings").textContent);
  const t = JSON.parse($("report-i18n").textContent);
  const kindNames = JSON.parse($("report-kinds").textContent);
  const TOKEN_KEY = "relief.token";
  const RETRY_MS = 15000;
  const TIMEOUT_MS = 30000;

  /* --- access token: from #token=… once, then kept on the phone --------------- */
  const fromUrl = location.hash.match(/(?:^#|&)token=([^&]+)/);
  if (fromUrl) {
    localStorage.setItem(TOKEN_KEY, decodeURIComponent(fromUrl[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  const token = () => localStorage.getItem(TOKEN_KEY);

  function authHeaders() {
    if (token()) return { Authorization: "Bearer " + token() };
    return csrfToken() ? { "X-CSRFToken": csrfToken() } : {};
  }

  /* --- the outbox in IndexedDB ----------------------------------------------------- */
  const outbox = window.relief.outbox("relief-report");
  const allReports = outbox.all, saveReport = outbox.save, dropReport = outbox.drop;

  const newId = window.relief.newId;

  /* --- sending ------------------------------------------------------------------------ */
  let flushing = false;

  function reasonOf(response, body) {
    const error = body && body.error;
    if (!error) return `HTTP ${response.status}`;
    return error.field ? `${error.message} [${error.field}]` : error.message;
  }

  async function send(record) {
    record.status = "sending";
    record.reason = "";
    record.attempts = (record.attempts || 0) + 1;
    await saveReport(record);
    render();
    const form = new FormData();
    form.append("report", JSON.stringify(record.payload));
    (record.photos || []).forEach((photo, i) => form.append("photos", photo, photo.name || `photo-${i}.jpg`));
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    let response;
    let body = null;
    try {
      response = await fetch("/api/incidents", { method: "POST", body: form, headers: authHeaders(),
        credentials: "same-origin", signal: abort.signal });
      body = await response.json().catch(() => null);
    } catch (networkError) {
      record.status = "queued";
      record.reason = t.network_wait;
      await saveReport(record);
      render();
      return false;
    } finally {
      clearTimeout(timer);
    }
    if (response.ok) {
      record.status = "sent";
      record.server_id = body && body.id;
      record.photo_count = (record.photos || []).length;
      record.photos = [];  // the server has them; free the phone's storage
      record.sent_at = new Date().toISOString();
    } else if (response.status >= 500 || response.status === 408 || response.status === 429) {
      record.status = "queued";
      record.reason = t.server_busy;
    } else {
      record.status = "failed";
      record.http_status = response.status;
      record.reason = reasonOf(response, body);
    }
    await saveReport(record);
    render();
    return record.status !== "queued";
  }

  async function flush() {
    if (flushing || !navigator.onLine) return;
    flushing = true;
    try {
      const waiting = (await allReports()).filter((r) => r.status === "queued")
        .sort((a, b) => a.created_at.localeCompare(b.created_at));
      for (const record of waiting) {
        if (!navigator.onLine || !(await send(record))) break;  // network gone: try again later
      }
    } finally {
      flushing = false;
    }
  }

  /* --- the list ------------------------------------------------------------------------- */
  function button(label, onClick) {
    const b = el("button", { type: "button" }, label);
    b.addEventListener("click", onClick);
    return b;
  }

  let rendering = Promise.resolve();
  function render() {
    rendering = rendering.then(drawList, drawList);
    return rendering;
  }

  async function drawList() {
    const records = (await allReports()).sort((a, b) => b.created_at.localeCompare(a.created_at));
    const list = $("outbox");
    list.replaceChildren(...records.map((r) => {
      const item = el("li", { class: `report-item status-${r.status}`, "data-client-id": r.client_id, "data-status": r.status });
      const head = el("div", { class: "head" });
      head.append(el("strong", {}, kindNames[r.payload.kind] || r.payload.kind),
        el("span", { class: "state" }, t[r.status] || r.status));
      item.append(head, el("div", { class: "meta" },
        `${fmtTime(r.created_at)} · ${(r.photos || []).length || r.photo_count || 0} ${t.photos}` +
        (r.server_id ? ` · ${t.incident} #${r.server_id}` : "")));
      if (r.payload.description) item.append(el("div", { class: "desc" }, r.payload.description));
      if (r.reason) item.append(el("div", { class: "reason" }, r.reason));
      const actions = el("div", { class: "actions" });
      if (r.status === "failed") {
        actions.append(button(t.retry, async () => { r.status = "queued"; r.reason = ""; await saveReport(r); render(); flush(); }));
      }
      if (r.status === "failed" || r.status === "sent") {
        actions.append(button(t.remove, async () => { await dropReport(r.client_id); render(); }));
      }
      if (actions.childElementCount) item.append(actions);
      return item;
    }));
    document.body.setAttribute("data-outbox-count", String(records.length));
  }

  /* --- position: GPS, or a tap on the map ---------------------------------------------------- */
  let map = null;
  let marker = null;

  function note(text) { $("position").textContent = text; }

  function setPosition(lat, lon, how) {
    $("lat").value = lat.toFixed(6);
    $("lon").value = lon.toFixed(6);
    note(`${how}: ${lat.toFixed(5)}, ${lon.toFixed(5)}`);
    placeInTownship(lat, lon);
    if (!map) return;
    if (marker) marker.setLatLng([lat, lon]);
    else marker = L.circleMarker([lat, lon], { radius: 8, color: "#c0392b", fillOpacity: 0.8 }).addTo(map);
    map.setView([lat, lon], Math.max(map.getZoom(), 13));
  }

  function locate() {
    if (!navigator.geolocation) { note(t.no_position); return; }
    note(t.locating);
    navigator.geolocation.getCurrentPosition(
      (p) => setPosition(p.coords.latitude, p.coords.longitude, t.located.replace("{m}", Math.round(p.coords.accuracy))),
      (error) => note(t.gps_failed.replace("{why}", error.message || error.code)),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  function startMap() {
    if (!window.L) { $("pick-map").hidden = true; return; }
    map = L.map("pick-map", { zoomControl: true, attributionControl: Boolean(settings.tileUrl) }).setView([30.3, 109.5], 8);
    if (settings.tileUrl) L.tileLayer(settings.tileUrl, { attribution: settings.tileAttribution || "", maxZoom: 18 }).addTo(map);
    map.on("click", (e) => setPosition(e.latlng.lat, e.latlng.lng, t.picked));
  }

  /* --- townships: our own boundaries (GET /api/map/areas, kept offline by report-sw.js) -------------- */
  const areas = { county: [], township: [] };
  const nameOf = (f) => (R.zh ? f.properties.name_zh : (f.properties.name_en || f.properties.name_zh)) || f.id;

  /* Point in polygon (ray casting) over a GeoJSON Polygon or MultiPolygon, holes included. */
  function inRing(ring, x, y) {
    let inside = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i], [xj, yj] = ring[j];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }
  function covers(geometry, x, y) {
    if (!geometry) return false;
    const polygons = geometry.type === "Polygon" ? [geometry.coordinates]
      : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
    return polygons.some((rings) => inRing(rings[0], x, y) && !rings.slice(1).some((hole) => inRing(hole, x, y)));
  }

  function fillTownships(countyCode) {
    const select = $("township_code"), keep = select.value;
    const listed = areas.township.filter((f) => !countyCode || f.properties.parent_code === countyCode)
      .sort((a, b) => String(a.id).localeCompare(String(b.id)));
    select.replaceChildren(select.options[0], ...listed.map((f) => el("option", { value: f.id }, nameOf(f))));
    if (listed.some((f) => String(f.id) === keep)) select.value = keep;
  }

  function placeInTownship(lat, lon) {
    if (!areas.township.length) return;
    const found = areas.township.find((f) => covers(f.geometry, lon, lat));
    if (!found) { $("township-hint").textContent = t.outside_areas; return; }
    $("county").value = found.properties.parent_code || "";
    fillTownships(found.properties.parent_code);
    $("township_code").value = found.id;
    $("township-hint").textContent = t.township_from_position.replace("{name}", nameOf(found));
    document.body.setAttribute("data-township", found.id);
  }

  async function loadAreas() {
    try {
      const [counties, townships] = await Promise.all([R.getJSON(settings.areas.county),
        R.getJSON(settings.areas.township)]);
      areas.county = counties.features || [];
      areas.township = townships.features || [];
    } catch (error) {
      $("township-hint").textContent = t.areas_unavailable;
      return;
    }
    $("county").replaceChildren($("county").options[0],
      ...areas.county.map((f) => el("option", { value: f.id }, nameOf(f))));
    fillTownships("");
    if (map) {
      L.geoJSON({ type: "FeatureCollection", features: areas.township }, { interactive: false,
        style: { color: "#3c6e91", weight: 1, opacity: 0.6, fill: false } }).addTo(map);
      L.geoJSON({ type: "FeatureCollection", features: areas.county }, { interactive: false,
        style: { color: "#12304a", weight: 2, opacity: 0.8, fill: false } }).addTo(map);
    }
    if ($("lat").value && $("lon").value) placeInTownship(Number($("lat").value), Number($("lon").value));
  }

  /* --- the form ---------------------------------------------------------------------------------- */
  function localNow() {
    const d = new Date();
    d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
    return d.toISOString().slice(0, 16);
  }

  function payloadFromForm() {
    const payload = {
      client_id: newId(),
      kind: $("kind").value,
      description: $("description").value.trim(),
      lat: Number($("lat").value),
      lon: Number($("lon").value),
      occurred_at: new Date($("occurred_at").value || Date.now()).toISOString(),
    };
    const indicators = {};
    document.querySelectorAll("[data-indicator]").forEach((input) => {
      if (input.value !== "") indicators[input.dataset.indicator] = Number(input.value);
    });
    if (Object.keys(indicators).length) {
      payload.indicators = indicators;
      if ($("township_code").value) payload.township_code = $("township_code").value;
    }
    return payload;
  }

  async function onSubmit(event) {
    event.preventDefault();
    $("form-error").textContent = "";
    if (!$("kind").value) { $("form-error").textContent = t.need_kind; return; }
    if (!$("lat").value || !$("lon").value) { $("form-error").textContent = t.no_position; return; }
    if (!token() && !settings.user) { $("form-error").textContent = t.need_auth; }
    const payload = payloadFromForm();
    await saveReport({ client_id: payload.client_id, created_at: new Date().toISOString(), status: "queued",
      reason: navigator.onLine ? "" : t.network_wait, attempts: 0, payload, photos: Array.from($("photos").files) });
    $("description").value = "";
    $("photos").value = "";
    document.querySelectorAll("[data-indicator]").forEach((input) => { input.value = ""; });
    $("occurred_at").value = localNow();
    await render();
    flush();
  }

  async function requeueRefusedLogins() {
    // Reports refused only for want of credentials go again once a token is saved.
    for (const r of await allReports()) {
      if (r.status === "failed" && r.http_status === 401) { r.status = "queued"; r.reason = ""; await saveReport(r); }
    }
    await render();
  }

  function showNetwork() {
    const net = $("net");
    net.dataset.online = navigator.onLine ? "1" : "0";
    net.textContent = navigator.onLine ? t.online : t.offline;
  }

  /* --- start ------------------------------------------------------------------------------------------ */
  async function start() {
    $("occurred_at").value = localNow();
    $("report-form").addEventListener("submit", onSubmit);
    $("locate").addEventListener("click", locate);
    $("save-token").addEventListener("click", () => {
      const value = $("token").value.trim();
      if (value) {
        localStorage.setItem(TOKEN_KEY, value);
        $("token").value = "";
        $("token-state").textContent = t.token_saved;
        requeueRefusedLogins().then(flush);
      }
    });
    if (token()) $("token-state").textContent = t.token_saved;
    window.addEventListener("online", () => { showNetwork(); flush(); });
    window.addEventListener("offline", showNetwork);
    showNetwork();
    startMap();
    $("county").addEventListener("change", () => { fillTownships($("county").value); $("township-hint").textContent = ""; });
    $("township_code").addEventListener("change", () => { $("township-hint").textContent = ""; });
    const areasLoaded = loadAreas();
    locate();
    // A send cut off by closing the page is safe to repeat: the id makes it the same report.
    for (const r of await allReports()) {
      if (r.status === "sending") { r.status = "queued"; await saveReport(r); }
    }
    await render();
    setInterval(flush, RETRY_MS);
    flush();
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/report-sw.js", { scope: "/report" })
        .catch((error) => console.warn("offline support unavailable", error));
    }
    await areasLoaded;
    document.body.setAttribute("data-report-ready", "1");
  }

  window.reliefReport = { flush, allReports, render };
  start();
})();

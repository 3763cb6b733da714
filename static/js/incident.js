/* The incident page: lifecycle actions and statutory reports, written through the JSON API.
 *
 * The server renders the page (templates/incident.html); after a write, or when a live
 * incident.* / report.* event names this incident, the sections marked [data-live] are
 * reloaded from the same URL and swapped in place, so one template draws every state.
 * Each write carries a client_id, kept until the server answers: resending after a lost
 * answer is the same request (the server answers it once). A refusal ({"error": {"field"}})
 * is shown next to the field it names, in the page's language (words from the server).
 * Text only ever enters the page through textContent (relief.el, common.js). */
(function () {
  "use strict";
  const R = window.relief, el = R.el;
  const $ = (id) => document.getElementById(id);
  const settings = JSON.parse($("incident-settings").textContent);
  const t = JSON.parse($("incident-i18n").textContent);
  const base = `/api/incidents/${settings.id}`;

  const newId = window.relief.newId;

  /* ---- times: every <time datetime> in the configured zone, to the minute ------------------- */
  function formatTimes(root) {
    root.querySelectorAll("time[datetime]").forEach((node) => {
      const text = R.fmtTime(node.getAttribute("datetime"));
      if (text) node.textContent = text;
    });
  }

  /* ---- errors next to fields ------------------------------------------------------------------- */
  function clearErrors(form) {
    form.querySelectorAll("[data-error-for]").forEach((p) => { p.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
  }

  function showError(form, field, message) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
    if (!slot) return false;
    slot.textContent = message;
    const input = slot.id && form.querySelector(`[aria-describedby~="${CSS.escape(slot.id)}"]`);
    if (input) { input.setAttribute("aria-invalid", "true"); }
    return true;
  }

  /* What to say for a field the server refused: our own words for it, the server's sentence only on an English page. */
  function wordsFor(field, serverMessage, form) {
    const local = form && form.id === "statutory-form" ? checkIndicators(form)[field] : null;
    const ours = local || t.fields[field];
    if (settings.lang === "en" && serverMessage) return ours && ours !== serverMessage ? `${ours} (${serverMessage})` : serverMessage;
    return ours || t.failed.replace("{why}", field);
  }

  function showRefusal(form, error, status) {
    const answer = error.answer && error.answer.error;
    if (!answer) { status.textContent = error.status ? t.failed.replace("{why}", `HTTP ${error.status}`) : t.network; return; }
    let placed = false;
    const details = Array.isArray(answer.detail) ? answer.detail : [];
    details.forEach((d) => {
      if (!d || !d.field) return;
      const field = d.field.startsWith("indicators.") || !form.querySelector(`[data-indicator="${d.field}"]`)
        ? d.field : `indicators.${d.field}`;
      placed = showError(form, field, wordsFor(field, d.message, form)) || placed;
    });
    if (answer.field) placed = showError(form, answer.field, wordsFor(answer.field, answer.message, form)) || placed;
    status.textContent = placed ? "" : t.failed.replace("{why}", settings.lang === "en" ? answer.message
      : (t.fields[answer.field] || answer.code));
  }

  /* ---- reloading the live sections --------------------------------------------------------------- */
  let refreshing = null;
  async function refresh() {
    if (refreshing) return refreshing;
    refreshing = (async () => {
      try {
        const response = await fetch(location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } });
        if (!response.ok) throw new Error(String(response.status));
        const doc = new DOMParser().parseFromString(await response.text(), "text/html");
        document.querySelectorAll("[data-live]").forEach((section) => {
          const fresh = doc.getElementById(section.id);
          if (fresh) section.replaceWith(document.importNode(fresh, true));
        });
        // the report form stays (what is typed survives); only what each township sends next follows the server
        doc.querySelectorAll("#st-township option[data-next]").forEach((option) => {
          const mine = document.querySelector(`#st-township option[value="${CSS.escape(option.value)}"]`);
          if (mine) mine.dataset.next = option.dataset.next;
        });
        formatTimes(document);
        document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
      } catch (error) {
        const status = $("action-status") || $("statutory-status");
        if (status) status.textContent = t.refresh_failed;
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  /* ---- lifecycle actions -------------------------------------------------------------------------- */
  async function onAction(form) {
    const status = $("action-status");
    clearErrors(form);
    const reason = form.elements.reason.value.trim();
    const body = { action: form.dataset.action, reason };
    let bad = false;
    if (!reason) bad = showError(form, "reason", t.fields.reason);
    if (form.elements.duplicate_of) {
      const original = form.elements.duplicate_of.value.trim();
      if (!/^\d+$/.test(original) || Number(original) < 1) bad = showError(form, "duplicate_of", t.fields.duplicate_of) || bad;
      else body.duplicate_of = Number(original);
    }
    if (bad) return;
    const key = JSON.stringify(body);
    if (form.dataset.sent !== key) { form.dataset.sent = key; form.dataset.clientId = newId(); }
    body.client_id = form.dataset.clientId;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    status.textContent = t.sending;
    try {
      await R.postJSON(`${base}/transitions`, body);
      delete form.dataset.sent;
      await refresh();
      const after = $("action-status");
      if (after) after.textContent = t.done;
    } catch (error) {
      if (error.answer) delete form.dataset.sent;  // refused: a new attempt is a new request
      showRefusal(form, error, status);
      if (error.answer && error.answer.error && error.answer.error.code === "transition_refused") refresh();
    } finally {
      button.disabled = false;
    }
  }

  /* ---- statutory reports --------------------------------------------------------------------------- */
  const indicatorInputs = () => Array.from(document.querySelectorAll("#statutory-form [data-indicator]"));

  /* Client-side checks: {field: message} for every indicator that is not a number ≥ 0 (whole for counts),
   * then the sanity rules the server applies (settings.limits, from domain/indicators.LIMITS). */
  function checkIndicators() {
    const problems = {};
    const values = {};
    indicatorInputs().forEach((input) => {
      const name = input.dataset.indicator, raw = input.value.trim();
      const field = `indicators.${name}`;
      if (input.validity && input.validity.badInput) { problems[field] = t.fields[field]; return; }
      if (raw === "") { values[name] = 0; return; }
      const n = Number(raw);
      if (!isFinite(n) || n < 0 || (input.dataset.whole === "1" && !Number.isInteger(n))) problems[field] = t.fields[field];
      else values[name] = n;
    });
    settings.limits.forEach((rule) => {
      const field = `indicators.${rule.field}`;
      if (problems[field] || rule.parts.some((p) => values[p] === undefined) || values[rule.bound] === undefined) return;
      const total = rule.parts.reduce((sum, p) => sum + values[p], 0);
      if (total > values[rule.bound]) problems[field] = t.fields[`${field}:limit`];
    });
    return problems;
  }

  /* A datetime-local value read in the configured zone (relief.timeZone), as UTC ISO 8601. */
  function zonedISO(value) {
    const guess = new Date(`${value}:00Z`);
    if (isNaN(guess)) return null;
    try {
      const parts = {};
      new Intl.DateTimeFormat("en-GB", { timeZone: R.timeZone, hourCycle: "h23", year: "numeric", month: "2-digit",
        day: "2-digit", hour: "2-digit", minute: "2-digit" }).formatToParts(guess).forEach((p) => { parts[p.type] = p.value; });
      const wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute);
      return new Date(guess.getTime() - (wall - guess.getTime())).toISOString();
    } catch (error) {
      return new Date(value).toISOString();
    }
  }

  function chooseKindFor(code) {
    const option = document.querySelector(`#st-township option[value="${CSS.escape(code || "")}"]`);
    const next = option && option.dataset.next;
    if (next) $("st-kind").value = next;
  }

  async function onReport(form) {
    const status = $("statutory-status");
    clearErrors(form);
    status.textContent = "";
    const problems = checkIndicators();
    const township = form.elements.township_code.value;
    if (!township) problems.township_code = t.need_township;
    let figuresTo = null;
    if (form.elements.figures_to.value) {
      figuresTo = zonedISO(form.elements.figures_to.value);
      if (!figuresTo) problems.figures_to = t.fields.figures_to;
    }
    const fields = Object.keys(problems);
    if (fields.length) {
      fields.forEach((field) => showError(form, field, problems[field]));
      const first = form.querySelector("[aria-invalid=true]");
      if (first) first.focus();
      return;
    }
    const indicators = {};
    indicatorInputs().forEach((input) => { if (input.value.trim() !== "") indicators[input.dataset.indicator] = Number(input.value); });
    const body = { type: "statutory", kind: form.elements.kind.value, township_code: township, indicators };
    if (figuresTo) body.figures_to = figuresTo;
    if (form.elements.note.value.trim()) body.note = form.elements.note.value.trim();
    const key = JSON.stringify(body);
    if (form.dataset.sent !== key) { form.dataset.sent = key; form.dataset.clientId = newId(); }
    body.client_id = form.dataset.clientId;
    const button = $("st-submit");
    button.disabled = true;
    status.textContent = t.sending;
    try {
      await R.postJSON(`${base}/reports`, body);
      delete form.dataset.sent;
      indicatorInputs().forEach((input) => { input.value = ""; });
      form.elements.note.value = "";
      await refresh();
      chooseKindFor(township);
      status.textContent = t.filed;
    } catch (error) {
      if (error.answer) delete form.dataset.sent;
      status.textContent = "";
      showRefusal(form, error, status);
      const first = form.querySelector("[aria-invalid=true]");
      if (first) first.focus();
    } finally {
      button.disabled = false;
    }
  }

  /* ---- the map: the incident and its county's townships; a tap chooses the township ----------------- */
  async function startMap() {
    const box = $("township-map");
    if (!box || !window.L || !settings.county) { if (box) box.hidden = true; return; }
    const map = L.map(box, { attributionControl: Boolean(settings.tileUrl), scrollWheelZoom: false });
    if (settings.tileUrl) L.tileLayer(settings.tileUrl, { attribution: settings.tileAttribution || "", maxZoom: 18 }).addTo(map);
    let shapes = null;
    const style = (f) => ({ weight: f.id === $("st-township").value ? 3 : 1, color: "#3c6e91",
      fillOpacity: f.id === $("st-township").value ? 0.25 : 0.05 });
    try {
      const answer = await R.getJSON(`/api/areas?level=township&parent=${encodeURIComponent(settings.county)}&limit=500`);
      shapes = L.geoJSON(answer, {
        style,
        onEachFeature: (feature, layer) => {
          const name = settings.lang === "zh" ? feature.properties.name_zh : (feature.properties.name_en || feature.properties.name_zh);
          layer.bindTooltip(name || "", { sticky: true });
          layer.on("click", () => {
            const select = $("st-township");
            if (!select.querySelector(`option[value="${CSS.escape(String(feature.id))}"]`)) return;
            select.value = String(feature.id);
            select.dispatchEvent(new Event("change", { bubbles: true }));
          });
        },
      }).addTo(map);
      map.fitBounds(shapes.getBounds());
    } catch (error) {
      box.hidden = true;
      return;
    }
    if (settings.geometry) {
      L.geoJSON({ type: "Feature", geometry: settings.geometry, properties: {} }, {
        pointToLayer: (f, at) => L.circleMarker(at, { radius: 7, color: "#c0392b", fillOpacity: 0.8, interactive: false }),
        style: () => ({ color: "#c0392b", weight: 2, fillOpacity: 0.15, interactive: false }),
      }).addTo(map);
    }
    $("st-township").addEventListener("change", () => shapes.setStyle(style));
  }

  /* ---- live: events about this incident reload it ------------------------------------------------- */
  function startLive() {
    if (!window.io) return;
    const socket = io("/live", { path: "/socket.io", transports: ["websocket", "polling"], reconnectionDelayMax: 10000 });
    const soon = R.debounce(refresh, 400);
    socket.on("connect", () => socket.emit("subscribe", { topics: settings.topics, areas: settings.county ? [settings.county] : [] }));
    socket.on("event", (event) => {
      const p = event && event.payload;
      const id = p && (p.id !== undefined ? p.id : p.feature && p.feature.id);
      if (String(id) === String(settings.id)) soon();
    });
  }

  /* ---- start ------------------------------------------------------------------------------------------ */
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.classList.contains("action-form")) { event.preventDefault(); onAction(form); }
    else if (form.id === "statutory-form") { event.preventDefault(); onReport(form); }
  });
  formatTimes(document);
  const township = $("st-township");
  if (township) {
    chooseKindFor(township.value);
    township.addEventListener("change", () => chooseKindFor(township.value));
    startMap();
  }
  startLive();
  document.body.setAttribute("data-incident-ready", "1");
})();

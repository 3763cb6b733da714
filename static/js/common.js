/* What every page script shares, on one namespace object: window.relief.
 *
 * templates/base.html loads this file before any page script, so page scripts
 * take their DOM, fetch and formatting helpers from here and define none of
 * their own. Colours and the word lists pages iterate (guarantees, verdicts,
 * live topics) come from the server: relief.loadStyles() reads GET
 * /api/map/styles once per page (or the copy a page carries as #relief-styles),
 * keeps it as relief.styles and sets the verdict colours as CSS variables
 * (--verdict-met, --verdict-at_risk, …) for the stylesheets.
 * Text only ever enters the page through textContent.
 */
(function () {
  "use strict";
  const zh = (document.documentElement.lang || "").startsWith("zh");
  const locale = zh ? "zh-CN" : "en-GB";

  /* el("td", {class: "num", style: {width: "40%"}}, "12") or el("tr", {}, [cell, cell]).
   * Attributes that are null or undefined are left out; styles go through the CSSOM,
   * because the Content-Security-Policy refuses style attributes. */
  function el(tag, attrs, content) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (v === undefined || v === null) return;
      if (k === "style") Object.assign(node.style, v); else node.setAttribute(k, v);
    });
    if (Array.isArray(content)) {
      content.forEach((c) => { if (c !== undefined && c !== null && c !== false) node.append(c); });
    } else if (content !== undefined && content !== null) node.textContent = String(content);
    return node;
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  /* A refused request: the server's own message when it sent one ({"error": {"message"}}), with the status. */
  function failure(url, response, answer) {
    const said = answer && answer.error && answer.error.message;
    const error = new Error(said || `${url}: ${response.status}`);
    error.status = response.status;
    error.answer = answer;
    return error;
  }

  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw failure(url, response, await response.json().catch(() => null));
    return response.json();
  }

  async function postJSON(url, body) {
    return sendJSON("POST", url, body);
  }

  /* A write with any method (POST, PUT, PATCH, DELETE): JSON body, the CSRF token, the answer's JSON. */
  async function sendJSON(method, url, body) {
    const response = await fetch(url, {
      method, credentials: "same-origin", body: JSON.stringify(body || {}),
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
    });
    const answer = await response.json().catch(() => null);
    if (!response.ok) throw failure(url, response, answer);
    return answer;
  }

  /* Numbers in the page's language; {digits} caps the decimals, {blank} stands in for a missing value. */
  function fmtNumber(n, { digits, blank = "" } = {}) {
    if (n === null || n === undefined) return blank;
    return Number(n).toLocaleString(locale, digits === undefined ? {} : { maximumFractionDigits: digits });
  }

  /* A moment (ISO 8601 text or Date) in the server's zone (<meta name="relief-time-zone">, RELIEF_TIMEZONE:
   * Asia/Shanghai unless configured), to the minute: "2026-11-20 09:00" ({timeOnly}: "09:00"), the
   * pattern the server's |local_time filter writes. Without the meta (or a zone the browser lacks), the
   * browser's own zone. */
  const zoneMeta = document.querySelector('meta[name="relief-time-zone"]');
  const timeZone = (zoneMeta && zoneMeta.content) || undefined;
  let timeParts = null;
  function partsOf(d) {
    if (!timeParts) {
      const options = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
        hourCycle: "h23" };
      try { timeParts = new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone }, options)); } catch (e) {
        timeParts = new Intl.DateTimeFormat("en-GB", options);
      }
    }
    const out = {};
    timeParts.formatToParts(d).forEach((p) => { out[p.type] = p.value; });
    return out;
  }
  function fmtTime(value, { timeOnly = false } = {}) {
    if (value === null || value === undefined || value === "") return "";
    const d = value instanceof Date ? value : new Date(value);
    if (isNaN(d)) return String(value);
    const p = partsOf(d);
    const time = `${p.hour}:${p.minute}`;
    return timeOnly ? time : `${p.year}-${p.month}-${p.day} ${time}`;
  }

  /* ---- writes made on a phone: an id of the phone's own, kept until the server answers ------- */
  function newId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /* Writes answered once: write(key, method, url, body) sends the body with a client_id kept for ``key`` (what
   * the write is) until it is answered, so pressing again after a lost answer repeats the same request. */
  function onceWriter() {
    const pending = new Map();  // what a write is → its client_id, until it is answered
    return async function write(key, method, url, body) {
      if (!pending.has(key)) pending.set(key, newId());
      const answer = await sendJSON(method, url, Object.assign({ client_id: pending.get(key) }, body || {}));
      pending.delete(key);
      return answer;
    };
  }

  /* say(text, error) for a page's notice element: the text, marked as an error or not. */
  function noticeSayer(notice) {
    return function say(text, error) {
      notice.textContent = text;
      notice.classList.toggle("error", Boolean(error));
    };
  }

  /* An outbox in IndexedDB (database ``name``, store "outbox", keyed by client_id): what a page
   * could not send yet survives a reload or a closed tab, and is resent with the same id. */
  function outbox(name) {
    const ready = new Promise((resolve, reject) => {
      const request = indexedDB.open(name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore("outbox", { keyPath: "client_id" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    async function withStore(mode, action) {
      const db = await ready;
      return new Promise((resolve, reject) => {
        const tx = db.transaction("outbox", mode);
        const request = action(tx.objectStore("outbox"));
        tx.oncomplete = () => resolve(request.result);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
    }
    return {
      all: () => withStore("readonly", (s) => s.getAll()),
      save: (record) => withStore("readwrite", (s) => s.put(record)),
      drop: (clientId) => withStore("readwrite", (s) => s.delete(clientId)),
    };
  }

  function debounce(fn, ms) {
    let id;
    return (...args) => { clearTimeout(id); id = setTimeout(() => fn(...args), ms); };
  }

  /* ---- colours and word lists from the server ------------------------------------------------ */
  function useColours(styles) {
    const root = document.documentElement.style;
    Object.entries(styles.guarantee_colours || {}).forEach(([verdict, colour]) => {
      root.setProperty(`--verdict-${verdict}`, colour);
    });
  }

  let loading = null;
  function loadStyles() {
    if (!loading) {
      const inline = document.getElementById("relief-styles");
      const answer = inline ? Promise.resolve(JSON.parse(inline.textContent)) : getJSON("/api/map/styles");
      loading = answer.then((styles) => {
        relief.styles = styles;
        useColours(styles);
        return styles;
      });
      loading.catch(() => { loading = null; });  // a later call asks again
    }
    return loading;
  }

  /* ---- the top bar's menu on narrow screens (templates/base.html: button.menu-button) ---------- */
  document.documentElement.classList.add("js");
  function menu() {
    const button = document.querySelector(".topbar .menu-button");
    const bar = button && button.closest(".topbar");
    if (!bar) return;
    const close = () => { bar.classList.remove("open"); button.setAttribute("aria-expanded", "false"); };
    button.addEventListener("click", () => {
      const open = bar.classList.toggle("open");
      button.setAttribute("aria-expanded", String(open));
    });
    document.addEventListener("keydown", (e) => { if (e.key === "Escape") close(); });
    document.addEventListener("click", (e) => { if (!bar.contains(e.target)) close(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", menu); else menu();

  const relief = window.relief = Object.assign(window.relief || {}, {
    zh, locale, timeZone, el, csrfToken, getJSON, postJSON, sendJSON, fmtNumber, fmtTime, debounce, loadStyles,
    newId, onceWriter, noticeSayer, outbox, styles: null,
  });
})();

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
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body || {}),
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

  /* A moment (ISO 8601 text or Date) in the page's language and the browser's time zone. */
  function fmtTime(value, { timeOnly = false } = {}) {
    if (value === null || value === undefined || value === "") return "";
    const d = new Date(value);
    if (isNaN(d)) return String(value);
    return timeOnly ? d.toLocaleTimeString(locale) : d.toLocaleString(locale);
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

  const relief = window.relief = Object.assign(window.relief || {}, {
    zh, locale, el, csrfToken, getJSON, postJSON, fmtNumber, fmtTime, debounce, loadStyles, styles: null,
  });
})();

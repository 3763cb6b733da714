/* One webhook endpoint's delivery log (GET /subscriptions/endpoints/<id>): every delivery newest first, or only
 * its dead letters, each with its attempts; a dead letter can be sent again (POST
 * /api/webhooks/deliveries/<id>/replay, with a client_id kept until answered), under its own webhook id.
 * Words come translated from the server (#subscriptions-settings); text enters the page through textContent only. */
(function () {
  "use strict";
  const R = window.relief, el = R.el;
  const settings = JSON.parse(document.getElementById("subscriptions-settings").textContent);
  const S = settings.strings, URLS = settings.urls, endpoint = settings.endpoint;
  const statusName = Object.fromEntries(settings.statuses.map((s) => [s.code, s.label]));
  const PAGE = 50;
  const pending = new Map();
  const notice = document.getElementById("deliveries-notice");
  const more = document.getElementById("more");
  const D = R.deliveriesPage = { status: "", rows: [], next: null };

  const fill = (text, values) => Object.entries(values).reduce((t, [k, v]) => t.replace(`{${k}}`, v), text);
  function say(text, error) {
    notice.textContent = text;
    notice.classList.toggle("error", Boolean(error));
  }

  function attempts(d) {
    if (!d.log.length) return String(d.attempts);
    return el("details", {}, [el("summary", {}, `${d.attempts} · ${S.log}`), el("ul", {}, d.log.map((a) =>
      el("li", {}, `${R.fmtTime(a.at)} · ${a.response_code === null ? "–" : a.response_code} · ${a.error || "OK"} · ${a.milliseconds} ms`)))]);
  }

  function replayButton(d) {
    const button = el("button", { type: "button", class: "button small", "data-action": "replay" }, S.replay);
    button.addEventListener("click", async () => {
      if (!window.confirm(S.confirm_replay)) return;
      button.disabled = true;
      const key = `replay:${d.id}`;
      if (!pending.has(key)) pending.set(key, R.newId());
      try {
        await R.sendJSON("POST", `${URLS.deliveries}/${d.id}/replay`, { client_id: pending.get(key) });
        pending.delete(key);
        say(fill(S.replayed, { id: d.id }));
        await load(true);
      } catch (e) { say(e.message, true); button.disabled = false; }
    });
    return button;
  }

  function render() {
    const table = document.getElementById("deliveries");
    if (!D.rows.length) {
      table.replaceChildren(el("tbody", {}, [el("tr", {}, [el("td", {}, S.none_yet)])]));
    } else {
      const head = el("thead", {}, [el("tr", {}, [S.created, S.status, S.events, S.attempts, S.response, S.last_error,
        S.next_attempt, ""].map((t) => el("th", {}, t)))]);
      const rows = D.rows.map((d) => el("tr", { "data-delivery": d.id, "data-status": d.status }, [
        el("td", { "data-label": S.created }, R.fmtTime(d.created_at)),
        el("td", { "data-label": S.status }, [statusName[d.status] || d.status,
          d.delivered_at ? el("div", { class: "muted" }, R.fmtTime(d.delivered_at)) : null]),
        el("td", { "data-label": S.events }, d.seqs.join(", ")),
        el("td", { "data-label": S.attempts }, [attempts(d)]),
        el("td", { "data-label": S.response }, d.response_code === null ? "–" : String(d.response_code)),
        el("td", { "data-label": S.last_error, class: "wrap" }, d.last_error || "–"),
        el("td", { "data-label": S.next_attempt }, d.next_attempt_at ? R.fmtTime(d.next_attempt_at) : "–"),
        el("td", {}, d.status === "dead" ? [replayButton(d)] : []),
      ]));
      table.replaceChildren(head, el("tbody", {}, rows));
    }
    table.dataset.ready = "1";
    more.hidden = D.next === null || D.next === undefined;
  }

  async function load(fresh) {
    const offset = fresh ? 0 : (D.next || 0);
    const query = new URLSearchParams({ offset: String(offset), limit: String(PAGE) });
    if (D.status) query.set("status", D.status);
    const answer = await R.getJSON(`${URLS.endpoints}/${endpoint.id}/deliveries?${query}`);
    D.rows = fresh ? answer.deliveries : D.rows.concat(answer.deliveries);
    D.next = answer.next_offset;
    render();
  }

  document.querySelectorAll("[data-filter]").forEach((button) => button.addEventListener("click", () => {
    D.status = button.dataset.filter;
    document.querySelectorAll("[data-filter]").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
    load(true).catch((e) => say(`${S.failed}: ${e.message}`, true));
  }));
  more.addEventListener("click", () => load(false).catch((e) => say(`${S.failed}: ${e.message}`, true)));
  load(true).catch((e) => say(`${S.failed}: ${e.message}`, true));
})();

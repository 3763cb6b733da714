/* Subscriptions (GET /subscriptions): one's subscriptions (an admin's: everyone's) and webhook endpoints; subscribe,
 * stop a subscription, add an endpoint (its signing secret is shown once, from the answer to its creation).
 * Everything goes through the JSON API (relief/web/api_subscriptions.py). Each write carries a client_id kept
 * until it is answered, so pressing again after a lost answer repeats the same request (answered once).
 * Words come translated from the server (#subscriptions-settings); text enters the page through textContent only. */
(function () {
  "use strict";
  const R = window.relief, el = R.el;
  const settings = JSON.parse(document.getElementById("subscriptions-settings").textContent);
  const S = settings.strings, URLS = settings.urls;
  const label = (list) => Object.fromEntries(list.map((x) => [x.code, x.label]));
  const topicName = label(settings.topics), modeName = label(settings.modes), roleName = label(settings.roles);
  const countyName = label(settings.counties), hazardName = label(settings.hazards);
  const notice = document.getElementById("subscriptions-notice");
  const P = R.subscriptionsPage = { subscriptions: [], endpoints: [] };

  const fill = (text, values) => Object.entries(values).reduce((t, [k, v]) => t.replace(`{${k}}`, v), text);
  const write = R.onceWriter(), say = R.noticeSayer(notice);
  function refused(form, e) {
    const field = e.answer && e.answer.error && e.answer.error.field;
    const slot = field && form.querySelector(`.field-error[data-field="${field}"]`);
    if (slot) slot.textContent = e.message; else say(e.message, true);
  }
  const words = (list, names) => (list && list.length ? list.map((w) => (names && names[w]) || w).join(", ") : S.any);

  /* ---- subscriptions --------------------------------------------------------------------------- */
  function owner(sub) {
    if (sub.owner_role) return fill(S.role_of, { role: roleName[sub.owner_role] || sub.owner_role });
    if (sub.owner_id === null) return S.system;
    return S.me;
  }

  function endpointName(id) {
    const endpoint = P.endpoints.find((e) => e.id === id);
    return endpoint ? (endpoint.description || endpoint.url) : `#${id}`;
  }

  function renderSubscriptions() {
    const table = document.getElementById("subscriptions");
    const live = P.subscriptions.filter((s) => s.active);
    if (!live.length) {
      table.replaceChildren(el("tbody", {}, [el("tr", {}, [el("td", {}, S.none_yet)])]));
      table.dataset.ready = "1";
      return;
    }
    const head = el("thead", {}, [el("tr", {}, [S.endpoint, S.topics, S.areas, S.hazards, S.kinds, S.min_level,
      S.mode,
      ...(settings.admin ? [S.owner] : []), S.created, ""].map((t) => el("th", {}, t)))]);
    const rows = live.map((sub) => {
      const stop = el("button", { type: "button", class: "button small", "data-action": "delete" }, S.delete);
      stop.addEventListener("click", async () => {
        if (!window.confirm(S.confirm_delete)) return;
        stop.disabled = true;
        try {
          await write(`delete:${sub.id}`, "DELETE", `${URLS.subscriptions}/${sub.id}`);
          say(S.deleted);
          await load();
        } catch (e) { say(e.message, true); stop.disabled = false; }
      });
      return el("tr", { "data-subscription": sub.id }, [
        el("td", { "data-label": S.endpoint, class: "wrap" }, endpointName(sub.endpoint_id)),
        el("td", { "data-label": S.topics }, words(sub.filter.topics, topicName)),
        el("td", { "data-label": S.areas }, words(sub.filter.areas, countyName)),
        el("td", { "data-label": S.hazards }, words(sub.filter.hazards, hazardName)),
        el("td", { "data-label": S.kinds }, words(sub.filter.kinds)),
        el("td", { "data-label": S.min_level }, sub.filter.min_level || S.any),
        el("td", { "data-label": S.mode }, modeName[sub.mode] || sub.mode),
        ...(settings.admin ? [el("td", { "data-label": S.owner }, owner(sub))] : []),
        el("td", { "data-label": S.created }, R.fmtTime(sub.created_at)),
        el("td", {}, [stop]),
      ]);
    });
    table.replaceChildren(head, el("tbody", {}, rows));
    table.dataset.ready = "1";
  }

  /* ---- endpoints -------------------------------------------------------------------------------- */
  function renderEndpoints() {
    const table = document.getElementById("endpoints");
    if (!P.endpoints.length) {
      table.replaceChildren(el("tbody", {}, [el("tr", {}, [el("td", {}, S.no_endpoints)])]));
    } else {
      const head = el("thead", {}, [el("tr", {}, [S.url, S.description, S.enabled, S.failures, S.created, ""]
        .map((t) => el("th", {}, t)))]);
      const rows = P.endpoints.map((e) => el("tr", { "data-endpoint": e.id }, [
        el("td", { "data-label": S.url, class: "wrap" }, [e.url, e.private_host_allowed ? el("div", { class: "muted" }, S.private) : null]),
        el("td", { "data-label": S.description }, e.description || "–"),
        el("td", { "data-label": S.enabled }, e.enabled ? S.yes : fill(S.disabled, { reason: e.disabled_reason || "" })),
        el("td", { "data-label": S.failures }, String(e.consecutive_failures)),
        el("td", { "data-label": S.created }, R.fmtTime(e.created_at)),
        el("td", {}, [el("a", { href: `${URLS.endpoint_page}/${e.id}`, class: "button small" }, S.open_log)]),
      ]));
      table.replaceChildren(head, el("tbody", {}, rows));
    }
    table.dataset.ready = "1";
    const select = document.querySelector("#new-subscription select[name=endpoint_id]");
    const chosen = select.value;
    select.replaceChildren(...P.endpoints.filter((e) => e.enabled).map((e) =>
      el("option", { value: String(e.id) }, e.description ? `${e.description} (${e.url})` : e.url)));
    if (chosen) select.value = chosen;
    document.querySelector("#new-subscription button[type=submit]").disabled = !select.options.length;
    document.getElementById("err-endpoint_id").textContent = select.options.length ? "" : S.no_endpoints;
  }

  async function load() {
    const [subs, endpoints] = await Promise.all([R.getJSON(URLS.subscriptions), R.getJSON(URLS.endpoints)]);
    P.subscriptions = subs.subscriptions;
    P.endpoints = endpoints.endpoints;
    renderEndpoints();
    renderSubscriptions();
  }

  /* ---- forms ------------------------------------------------------------------------------------ */
  const subscribe = document.getElementById("new-subscription");
  subscribe.addEventListener("submit", async (event) => {
    event.preventDefault();
    subscribe.querySelectorAll(".field-error").forEach((e) => { e.textContent = ""; });
    const data = new FormData(subscribe);
    const body = {
      endpoint_id: Number(data.get("endpoint_id")), topics: data.getAll("topics"), areas: data.getAll("areas"),
      hazards: data.getAll("hazards"),
      kinds: String(data.get("kinds") || "").split(",").map((k) => k.trim()).filter(Boolean),
      mode: data.get("mode"),
    };
    if (data.get("min_level")) body.min_level = data.get("min_level");
    const who = data.get("owner") || "";
    if (who === "system") body.for_system = true;
    else if (who.startsWith("role:")) body.for_role = who.slice(5);
    const button = subscribe.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await write(`subscribe:${JSON.stringify(body)}`, "POST", URLS.subscriptions, body);
      say(S.subscribed);
      subscribe.querySelectorAll("input[type=checkbox]").forEach((c) => { c.checked = false; });
      subscribe.querySelector("input[name=kinds]").value = "";
      await load();
    } catch (e) { refused(subscribe, e); } finally { button.disabled = false; }
  });

  const add = document.getElementById("new-endpoint");
  add.addEventListener("submit", async (event) => {
    event.preventDefault();
    add.querySelectorAll(".field-error").forEach((e) => { e.textContent = ""; });
    const data = new FormData(add);
    const body = { url: String(data.get("url") || "").trim() };
    if (data.get("description")) body.description = String(data.get("description")).trim();
    if (data.get("allow_private_host")) body.allow_private_host = true;
    const button = add.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const answer = await write(`endpoint:${JSON.stringify(body)}`, "POST", URLS.endpoints, body);
      say(fill(S.endpoint_created, { url: answer.endpoint.url }));
      document.getElementById("new-secret-value").value = answer.secret;
      document.getElementById("new-secret").hidden = false;
      add.reset();
      await load();
    } catch (e) { refused(add, e); } finally { button.disabled = false; }
  });

  load().catch((e) => say(`${S.failed}: ${e.message}`, true));
})();

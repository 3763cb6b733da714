/* Users admin (GET /users): everyone who can sign in, their role, whether they are active, when one of
 * their tokens was last used; create a user, change a role, deactivate / activate, list and revoke tokens.
 * Everything goes through the admin API (relief/web/api_admin.py). Each write carries a client_id kept
 * until it is answered, so pressing again after a lost answer repeats the same request (answered once).
 * Words come translated from the server (#users-settings); text enters the page through textContent only. */
(function () {
  "use strict";
  const R = window.relief, el = R.el;
  const settings = JSON.parse(document.getElementById("users-settings").textContent);
  const S = settings.strings, URLS = settings.urls;
  const roleName = Object.fromEntries(settings.roles.map((r) => [r.code, r.label]));
  const notice = document.getElementById("users-notice");
  const U = R.usersPage = { users: [], tokens: {}, open: new Set() };

  const fill = (text, values) => Object.entries(values).reduce((t, [k, v]) => t.replace(`{${k}}`, v), text);
  const write = R.onceWriter(), say = R.noticeSayer(notice);

  /* ---- the list ---------------------------------------------------------------------------- */
  function lastUsed(tokens) {
    const times = (tokens || []).map((t) => t.last_used_at).filter(Boolean).sort();
    return times.length ? R.fmtTime(times[times.length - 1]) : S.never;
  }

  function roleCell(user) {
    const select = el("select", { "aria-label": `${S.role}: ${user.name}`, "data-role-of": user.id },
      settings.roles.map((r) => el("option", { value: r.code }, r.label)));
    select.value = user.role;
    const button = el("button", { type: "button", class: "button small", "data-action": "role" }, S.change_role);
    button.addEventListener("click", async () => {
      if (select.value === user.role) return;
      button.disabled = true;
      try {
        const answer = await write(`role:${user.id}:${select.value}`, "POST", `${URLS.users}/${user.id}/role`, { role: select.value });
        say(fill(S.role_changed, { name: user.name, role: roleName[answer.user.role] || answer.user.role }));
        await load();
      } catch (e) { say(e.message, true); button.disabled = false; }
    });
    return el("td", { "data-label": S.role }, [el("span", { class: "role-name" }, roleName[user.role] || user.role),
      el("div", { class: "inline-form" }, [select, button])]);
  }

  function activeCell(user) {
    const label = user.active ? S.deactivate : S.activate;
    const button = el("button", { type: "button", class: "button small", "data-action": user.active ? "deactivate" : "activate" }, label);
    button.addEventListener("click", async () => {
      if (user.active && !window.confirm(fill(S.confirm_deactivate, { name: user.name }))) return;
      button.disabled = true;
      const action = user.active ? "deactivate" : "activate";
      try {
        await write(`${action}:${user.id}`, "POST", `${URLS.users}/${user.id}/${action}`);
        say(fill(user.active ? S.deactivated : S.activated, { name: user.name }));
        await load();
      } catch (e) { say(e.message, true); button.disabled = false; }
    });
    return el("td", { "data-label": S.active }, [el("span", { class: user.active ? "state-on" : "state-off" },
      user.active ? S.yes : S.no), " ", button]);
  }

  function tokenRows(user) {
    const tokens = U.tokens[user.id] || [];
    if (!tokens.length) return el("p", { class: "muted" }, S.no_tokens);
    const rows = tokens.map((t) => {
      const state = t.revoked_at ? `${S.revoked} ${R.fmtTime(t.revoked_at)}` : S.live;
      const cell = el("td", { "data-label": S.state }, state);
      if (!t.revoked_at) {
        const revoke = el("button", { type: "button", class: "button small", "data-action": "revoke", "data-token": t.id }, S.revoke);
        revoke.addEventListener("click", async () => {
          if (!window.confirm(S.confirm_revoke)) return;
          revoke.disabled = true;
          try {
            await write(`revoke:${t.id}`, "DELETE", `${URLS.tokens}/${t.id}`);
            say(S.token_revoked);
            await load();
          } catch (e) { say(e.message, true); revoke.disabled = false; }
        });
        cell.append(" ", revoke);
      }
      return el("tr", { "data-token-row": t.id }, [el("td", { "data-label": S.label }, t.label || "–"),
        el("td", { "data-label": S.created }, R.fmtTime(t.created_at)),
        el("td", { "data-label": S.last_used }, t.last_used_at ? R.fmtTime(t.last_used_at) : S.never), cell]);
    });
    return el("div", { class: "scroll" }, [el("table", { class: "list tokens" }, [el("thead", {}, [el("tr", {}, [
      el("th", {}, S.label), el("th", {}, S.created), el("th", {}, S.last_used), el("th", {}, S.state)])]),
    el("tbody", {}, rows)])]);
  }

  function render() {
    const table = document.getElementById("users");
    const head = el("thead", {}, [el("tr", {}, [el("th", {}, S.name), el("th", {}, S.role), el("th", {}, S.active),
      el("th", {}, S.last_used), el("th", {}, S.tokens)])]);
    const body = el("tbody");
    U.users.forEach((user) => {
      const open = U.open.has(user.id);
      const toggle = el("button", { type: "button", class: "button small", "aria-expanded": String(open), "data-action": "tokens" },
        `${open ? S.hide_tokens : S.tokens} (${(U.tokens[user.id] || []).filter((t) => !t.revoked_at).length})`);
      toggle.addEventListener("click", () => { if (open) U.open.delete(user.id); else U.open.add(user.id); render(); });
      const name = el("td", { "data-label": S.name }, [el("strong", {}, user.name)]);
      if (user.display_name) name.append(el("div", { class: "muted" }, user.display_name));
      body.appendChild(el("tr", { "data-user": user.id, "data-name": user.name, class: user.active ? "" : "inactive" },
        [name, roleCell(user), activeCell(user), el("td", { class: "last-used", "data-label": S.last_used }, lastUsed(U.tokens[user.id])),
          el("td", { "data-label": S.tokens }, [toggle])]));
      if (open) body.appendChild(el("tr", { class: "token-list", "data-tokens-of": user.id }, [el("td", { colspan: "5" }, [tokenRows(user)])]));
    });
    table.replaceChildren(head, body);
    table.dataset.ready = "1";
  }

  async function load() {
    const answer = await R.getJSON(URLS.users);
    const lists = await Promise.all(answer.users.map((u) => R.getJSON(`${URLS.users}/${u.id}/tokens`)
      .then((t) => t.tokens).catch(() => [])));
    U.users = answer.users.slice().sort((a, b) => (b.active - a.active) || a.name.localeCompare(b.name));
    U.tokens = Object.fromEntries(answer.users.map((u, i) => [u.id, lists[i]]));
    render();
  }

  /* ---- a new user ------------------------------------------------------------------------------ */
  const form = document.getElementById("new-user");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.querySelectorAll(".field-error").forEach((e) => { e.textContent = ""; });
    const data = Object.fromEntries(new FormData(form).entries());
    const body = { name: data.name.trim(), role: data.role };
    if (data.password) body.password = data.password;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      // Creating answers with the new token, which is never stored: no client_id (a resend is 409 by name).
      const answer = await R.postJSON(URLS.users, body);
      say(fill(S.created_user, { name: answer.name }));
      document.getElementById("new-token-text").textContent = S.new_token;
      document.getElementById("new-token-value").textContent = answer.token;
      document.getElementById("new-token").hidden = false;
      form.reset();
      await load();
    } catch (e) {
      const field = e.answer && e.answer.error && e.answer.error.field;
      const slot = field && form.querySelector(`.field-error[data-field="${field}"]`);
      if (slot) slot.textContent = e.message; else say(e.message, true);
    } finally { button.disabled = false; }
  });

  load().catch((e) => say(`${S.failed}: ${e.message}`, true));
})();

/* The aid-flags queue (/aid-flags): each flag's review steps, sent as POST /api/aid-flags/<id>/transitions
 * with {to, reason?, client_id}. Pressing the same step with the same reason again resends the same
 * client_id, so a request that got no answer is never recorded twice. A refusal is worded in the page's
 * language from its code and field (settings.strings), never the API's English. */
(function () {
  "use strict";
  const { postJSON } = window.relief;
  const node = document.getElementById("aid-settings");
  if (!node) return;
  const settings = JSON.parse(node.textContent);
  const S = settings.strings;
  const ids = {};  // one client_id per flag, step and reason

  function worded(error) {
    const status = error && error.status;
    const answer = (error && error.answer && error.answer.error) || {};
    if (status === undefined) return { text: S.offline };
    if (status === 401 || status === 403) return { text: S.forbidden };
    if (status === 503 || status === 429) return { text: S.busy };
    if (status === 404) return { text: S.not_found };
    if (answer.code === "client_id_reused") return { text: S.reused };
    if (answer.field === "reason") return { text: S.reason_required, field: "reason" };
    if (answer.code === "transition_refused" || answer.field === "status") {
      const now = (answer.detail && answer.detail.status) || "";
      return { text: S.does_not_follow.replace("{status}", (settings.statusWords || {})[now] || now) };
    }
    return { text: S.refused.replace("{message}", answer.message || String(status)) };
  }

  function wire(card) {
    const flagId = card.dataset.flag;
    const reasonBox = card.querySelector(".aid-reason");
    const reasonError = card.querySelector("[data-error-for=reason]");
    const out = card.querySelector(".aid-error");
    const said = card.querySelector(".aid-status");
    const buttons = Array.from(card.querySelectorAll("button[data-status]"));
    buttons.forEach((button) => {
      button.addEventListener("click", async () => {
        const target = button.dataset.status;
        const reason = reasonBox ? reasonBox.value.trim() : "";
        [out, reasonError].forEach((n) => { n.textContent = ""; });
        if (button.dataset.needsReason && !reason) {
          reasonError.textContent = S.reason_required;
          reasonBox.focus();
          return;
        }
        const key = `${flagId}|${target}|${reason}`;
        const body = { to: target, client_id: (ids[key] = ids[key] || window.relief.newId()) };
        if (reason) body.reason = reason;
        buttons.forEach((b) => { b.disabled = true; });
        said.textContent = S.sending;
        try {
          const answer = await postJSON(settings.urls.transitions.replace("{id}", encodeURIComponent(flagId)), body);
          const flag = (answer && (answer.flag || answer)) || {};
          const now = flag.status || target;
          card.dataset.status = now;
          const badge = card.querySelector(".ac-stage");
          if (badge) { badge.dataset.stage = now; badge.textContent = (settings.statusWords || {})[now] || now; }
          said.textContent = S.saved;
          card.querySelector(".aid-review").replaceChildren(said);
          card.setAttribute("data-reviewed", now);
        } catch (error) {
          said.textContent = "";
          const message = worded(error);
          (message.field === "reason" ? reasonError : out).textContent = message.text;
          if (message.field === "reason" && reasonBox) reasonBox.focus();
          buttons.forEach((b) => { b.disabled = false; });
        }
      });
    });
  }

  document.querySelectorAll("li.aid-flag").forEach(wire);
  document.body.setAttribute("data-aid-ready", "1");
})();

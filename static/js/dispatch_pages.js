/* The dispatch pages (templates/dispatch.html, dispatch_plan.html): sending a plan's steps.
 *
 * The pages are rendered on the server; this script only posts. Each step button posts to
 * /api/dispatch/plans/<id>/<action> with a client_id made once per page and action, so a click
 * retried after a lost answer is answered once (web/resend.answer_once). A refusal is shown next to
 * the field the server names ({"error": {"field"}}: reason, received[<line>]), else above the buttons.
 * All words come from the server (#dispatch-settings).
 */
(function () {
  "use strict";
  var R = window.relief;
  var settings = JSON.parse(document.getElementById("dispatch-settings").textContent);
  var S = settings.strings;
  var ids = {};

  function clientId(action) {
    if (!ids[action]) {
      ids[action] = "dispatch-" + action + "-" + window.relief.newId();
    }
    return ids[action];
  }

  function clearErrors() {
    document.querySelectorAll(".field-error").forEach(function (n) { n.textContent = ""; });
    document.querySelectorAll("[aria-invalid]").forEach(function (n) { n.removeAttribute("aria-invalid"); });
  }

  /* The refusal in the page's language where the page knows its kind; the server's message otherwise. */
  function wording(error, said) {
    var detail = said.detail || {};
    if (!error || !error.status) return S.offline;
    if (said.code === "insufficient_stock") {
      return S.insufficient.replace("{item}", detail.item_name || detail.item_code || "")
        .replace("{available}", R.fmtNumber(detail.available, { digits: 3 }));
    }
    if (said.code === "transition_refused") return S.moved_on;
    if (said.field && said.field.indexOf("received[") === 0) return S.received_invalid;
    if (said.field === "reason") return S.reason_needed;
    return error.message || S.failed;
  }

  function showError(notice, error) {
    var said = (error && error.answer && error.answer.error) || {};
    var place = said.field ? document.querySelector('.field-error[data-field="' + said.field + '"]') : null;
    var text = wording(error, said);
    if (place) {
      place.textContent = text;
      var input = document.getElementById(place.id.replace(/-error$/, ""));
      if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
    }
    if (notice) {
      notice.className = "notice error";
      notice.textContent = place ? S.failed : text;
    }
  }

  function received() {
    var inputs = document.querySelectorAll('#deliver-form input[name="received"]');
    var out = [];
    inputs.forEach(function (input) {
      var raw = input.value.trim();
      out[Number(input.dataset.line)] = raw === "" ? null : Number(raw);
    });
    return out;
  }

  function stepBody(action) {
    var body = { client_id: clientId(action) };
    var reason = document.getElementById("step-reason");
    if (reason && reason.value.trim()) body.reason = reason.value.trim();
    if (action === "deliver") body.received = received();
    return body;
  }

  function planPage() {
    var notice = document.getElementById("step-notice");
    var buttons = document.querySelectorAll(".step-button[data-action]");
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        var action = button.dataset.action;
        clearErrors();
        if (action === "cancel" && !document.getElementById("step-reason").value.trim()) {
          document.getElementById("reason-error").textContent = S.reason_needed;
          document.getElementById("step-reason").focus();
          return;
        }
        buttons.forEach(function (b) { b.disabled = true; });
        notice.className = "notice";
        notice.textContent = S.sending;
        R.postJSON(settings.urls[action], stepBody(action)).then(function () {
          notice.textContent = S.done;
          window.location.reload();
        }).catch(function (error) {
          buttons.forEach(function (b) { b.disabled = false; });
          showError(notice, error);
        });
      });
    });
  }

  function listPage() {
    var button = document.getElementById("propose");
    if (!button) return;
    var notice = document.getElementById("propose-notice");
    button.addEventListener("click", function () {
      button.disabled = true;
      notice.className = "notice";
      notice.textContent = S.proposing;
      R.postJSON(settings.proposeUrl, { client_id: clientId("propose") }).then(function (plan) {
        window.location.assign(settings.planPage + plan.id);
      }).catch(function (error) {
        button.disabled = false;
        showError(notice, error);
      });
    });
  }

  function start() {
    if (settings.urls) planPage(); else listPage();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();

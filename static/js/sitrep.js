/* The sitrep page: "issue today's report" posts the snapshot's moment once (a resend gets the same answer). */
(function () {
  "use strict";
  const { el, postJSON } = window.relief;
  const button = document.getElementById("issue-sitrep");
  if (!button) return;
  const words = JSON.parse(document.getElementById("sitrep-settings").textContent);
  const result = document.getElementById("issue-result");
  const clientId = window.relief.newId();
  button.addEventListener("click", async () => {
    button.disabled = true;
    result.textContent = "";
    try {
      const answer = await postJSON("/api/sitrep/issue", { client_id: clientId, as_of: button.dataset.asOf });
      result.append(`${words.issued_ok} ${answer.number} `, el("a", { href: answer.pdf }, words.pdf));
    } catch (error) {
      result.textContent = `${words.issue_failed}: ${error.message || error}`;
      button.disabled = false;
    }
  });
})();

/* The public notice's objection form: posts to /api/cases/<id>/objections and says how it went. */
(function () {
  "use strict";
  const page = document.getElementById("public-notice");
  const form = document.getElementById("objection-form");
  if (!page || !form) return;
  const status = document.getElementById("objection-status");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const caseId = data.get("case_id");
    if (!caseId) return;
    try {
      await window.relief.postJSON(`/api/cases/${encodeURIComponent(caseId)}/objections`,
        { text: data.get("text"), contact: data.get("contact") || null });
      status.textContent = page.dataset.objectionSent;
      form.reset();
    } catch (error) {
      status.textContent = `${page.dataset.objectionFailed}: ${error.message || ""}`;
    }
  });
})();

/* The overdue list: its times through relief.fmtTime (the configured zone, to the minute), like every page's. */
(function () {
  "use strict";
  document.querySelectorAll("time[datetime]").forEach((node) => {
    const text = window.relief.fmtTime(node.getAttribute("datetime"));
    if (text) node.textContent = text;
  });
})();

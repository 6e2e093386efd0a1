// Enhancements only: every page works without this file.
(function () {
  "use strict";
  // Move focus to the error summary, as the GOV.UK error pattern does, so
  // screen reader and keyboard users start from the list of problems.
  var summary = document.querySelector("[data-focus]");
  if (summary) { summary.focus(); }
  // Links in the error summary put focus on the field, not just scroll.
  document.querySelectorAll(".error-summary a[href^='#']").forEach(function (a) {
    a.addEventListener("click", function (e) {
      var field = document.getElementById(a.getAttribute("href").slice(1));
      if (field) { e.preventDefault(); field.focus(); field.scrollIntoView({ block: "center" }); }
    });
  });
})();

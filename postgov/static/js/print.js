// Print buttons (data-print) and pages printed as soon as they open (data-print-on-load
// on <body>). A file, not onclick="..." attributes: the Content-Security-Policy runs only
// scripts this site serves.
(function () {
  "use strict";
  function ready() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    if (document.body.hasAttribute("data-print-on-load")) window.print();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();

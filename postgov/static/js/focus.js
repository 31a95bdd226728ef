// Puts the cursor in the field named by the script tag's data-field (the page's first
// input), so the user can type at once. A file, not an inline script: the
// Content-Security-Policy runs only scripts this site serves.
(function () {
  "use strict";
  var script = document.currentScript;
  var id = script && script.dataset.field;
  function focus() {
    var field = id && document.getElementById(id);
    if (field) field.focus();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focus);
  else focus();
})();

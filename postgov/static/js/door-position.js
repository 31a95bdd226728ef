// The postman's "I am at the door" button: read the phone's position, ask once, post it.
// A file, not an inline script (the Content-Security-Policy); without JavaScript or
// geolocation the button stays hidden.
(function () {
  "use strict";
  function setUp(form) {
    var button = form.querySelector("[data-door-position-button]");
    var error = form.querySelector("[data-door-position-error]");
    if (!button || !navigator.geolocation) return;
    button.classList.remove("d-none");
    button.addEventListener("click", function () {
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (where) {
        button.disabled = false;
        if (!window.confirm(form.getAttribute("data-confirm-text"))) return;
        form.querySelector("[name=latitude]").value = where.coords.latitude.toFixed(6);
        form.querySelector("[name=longitude]").value = where.coords.longitude.toFixed(6);
        form.submit();
      }, function () {
        button.disabled = false;
        error.textContent = form.getAttribute("data-error-text");
        error.classList.remove("d-none");
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
    });
  }
  function ready() { document.querySelectorAll("[data-door-position]").forEach(setUp); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();

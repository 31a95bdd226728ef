// "Use my location" on the find-a-post-office page: asks the browser for its position,
// puts it in the form's hidden fields and sends the form. Without JavaScript the button
// stays hidden and the form works with a commune, an address or a Vpostcode.
(function () {
  "use strict";
  function ready() {
    var button = document.querySelector("[data-find-location]");
    if (!button || !navigator.geolocation) return;
    var form = button.form;
    var error = form.querySelector("[data-find-location-error]");
    button.classList.remove("d-none");
    button.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        form.querySelector("[name=latitude]").value = position.coords.latitude.toFixed(6);
        form.querySelector("[name=longitude]").value = position.coords.longitude.toFixed(6);
        // The position is what to look from: the text fields would win over it.
        form.querySelector("[name=place]").value = "";
        form.querySelector("[name=vpostcode]").value = "";
        form.submit();
      }, function () {
        error.textContent = button.getAttribute("data-error-text");
        error.classList.remove("d-none");
      }, { timeout: 10000, maximumAge: 60000 });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();

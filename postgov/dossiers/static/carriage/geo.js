/* Where the proof was taken: the phone's position, if the person allows it. Optional. */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-geo]");
  if (!forms.length || !navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition(function (pos) {
    forms.forEach(function (form) {
      var set = function (name, value) {
        var input = form.querySelector("[name=" + name + "]");
        if (input) input.value = value;
      };
      set("latitude", pos.coords.latitude.toFixed(6));
      set("longitude", pos.coords.longitude.toFixed(6));
      set("accuracy", Math.round(pos.coords.accuracy));
    });
  }, function () {}, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
})();

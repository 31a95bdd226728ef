/* A signature drawn with a finger (or a mouse) on a canvas, sent as a PNG data URL in a
   hidden field. The server requires it, or a reason why the person cannot sign on the
   screen: without JavaScript the pad stays hidden and the reason is the way on. With it,
   a form sent with an empty pad and no reason is stopped here first, so nothing typed
   (or the photo chosen) is lost on the way to the server and back. */
(function () {
  "use strict";
  document.querySelectorAll("[data-signature-pad]").forEach(function (wrap) {
    var canvas = wrap.querySelector("canvas");
    var field = document.getElementById(wrap.getAttribute("data-signature-pad"));
    var clear = wrap.parentNode.querySelector("[data-signature-clear]");
    var form = wrap.closest("form");
    // A second pad on the same form (a guard's) keeps its notes in its own scope.
    var scope = wrap.closest("[data-signature-scope]") || form;
    var note = scope ? scope.querySelector("[data-signature-nojs]") : null;
    var required = scope ? scope.querySelector("[data-signature-required]") : null;
    var unsigned = scope ? scope.querySelector("[data-signature-unsigned]") : null;
    var ctx = canvas.getContext("2d");
    var drawing = false, drawn = false;
    wrap.parentNode.hidden = false;
    if (note) note.hidden = true;
    function size() {
      var ratio = window.devicePixelRatio || 1;
      var rect = canvas.getBoundingClientRect();
      canvas.width = rect.width * ratio;
      canvas.height = rect.height * ratio;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 2.2;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#0b2a5b";
    }
    function restore() {
      // The page came back with an error: the signature already drawn is shown again.
      if (field.value.indexOf("data:image/png;base64,") !== 0) {
        field.value = "";
        return;
      }
      var image = new Image();
      image.onload = function () {
        var rect = canvas.getBoundingClientRect();
        ctx.drawImage(image, 0, 0, rect.width, rect.height);
        drawn = true;
      };
      image.onerror = function () { field.value = ""; };
      image.src = field.value;
    }
    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return { x: event.clientX - rect.left, y: event.clientY - rect.top };
    }
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      var p = point(event);
      ctx.beginPath();
      ctx.moveTo(p.x, p.y);
      event.preventDefault();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      var p = point(event);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      drawn = true;
      event.preventDefault();
    });
    function end() {
      if (!drawing) return;
      drawing = false;
      if (drawn) {
        field.value = canvas.toDataURL("image/png");
        if (required) required.hidden = true;
      }
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("pointerleave", end);
    if (clear) clear.addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      drawn = false;
      field.value = "";
    });
    if (form) form.addEventListener("submit", function (event) {
      if (field.value || !unsigned) return;
      if (unsigned.querySelector("input[type=radio]:checked")) return;
      event.preventDefault();
      if (required) required.hidden = false;
      unsigned.open = true;
      wrap.scrollIntoView({ block: "center" });
    });
    size();
    restore();
  });
})();

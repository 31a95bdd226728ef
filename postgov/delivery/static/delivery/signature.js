/* A signature drawn with a finger (or a mouse) on a canvas, sent as a PNG data URL in a
   hidden field. Without JavaScript the pad stays hidden and the form still submits: the
   server then records that no signature image was captured. */
(function () {
  "use strict";
  document.querySelectorAll("[data-signature-pad]").forEach(function (wrap) {
    var canvas = wrap.querySelector("canvas");
    var field = document.getElementById(wrap.getAttribute("data-signature-pad"));
    var clear = wrap.parentNode.querySelector("[data-signature-clear]");
    var form = wrap.closest("form");
    var note = form ? form.querySelector("[data-signature-nojs]") : null;
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
      drawn = false;
      field.value = "";
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
      if (drawn) field.value = canvas.toDataURL("image/png");
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("pointerleave", end);
    if (clear) clear.addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      drawn = false;
      field.value = "";
    });
    size();
  });
})();

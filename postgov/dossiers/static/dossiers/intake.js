// Keyboard-first counter (docs/domain.md §1), as an enhancement: without it the server does the
// same job (Enter submits the form's first button, "auto", which scans, searches or moves
// on). With it: Enter moves to the next field; fields marked data-enter="submit" (the QR
// scanner's field) still submit; Ctrl+Enter presses the primary button; arrow keys move
// between the checklist's boxes.
(function () {
  "use strict";
  function fieldsOf(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      if (el.disabled || el.type === "hidden" || el.tabIndex < 0) return false;
      if (el.type === "radio" && !el.checked && form.querySelector('input[type=radio][name="' + el.name + '"]:checked')) return false;
      return el.offsetParent !== null;
    });
  }
  document.addEventListener("keydown", function (event) {
    var el = event.target;
    var form = el && el.form;
    if (!form || !form.hasAttribute("data-enter-moves")) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      var primary = form.querySelector("[data-primary]");
      if (primary) { event.preventDefault(); primary.click(); }
      return;
    }
    if (event.key === "Enter" && !event.altKey && !event.shiftKey && !event.isComposing) {
      if (el.dataset.enter === "submit") return;
      if (el.dataset.enter === "list") {
        var first = document.querySelector("#procedure-list input[type=radio]:checked") ||
                    document.querySelector("#procedure-list input[type=radio]");
        if (first) { event.preventDefault(); first.focus(); }
        return;
      }
      if (/^(BUTTON|TEXTAREA|A)$/.test(el.tagName) || el.type === "submit" || el.type === "file") return;
      event.preventDefault();
      var fields = fieldsOf(form);
      var index = fields.indexOf(el);
      for (var i = index + 1; i < fields.length; i++) {
        if (el.type === "radio" && fields[i].name === el.name) continue;
        fields[i].focus();
        if (fields[i].select && /^(text|search|tel|email|number)$/.test(fields[i].type)) fields[i].select();
        return;
      }
      return;
    }
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && el.type === "checkbox" && el.closest("[data-checklist]")) {
      var boxes = Array.prototype.slice.call(el.closest("[data-checklist]").querySelectorAll("input[type=checkbox]"));
      var next = boxes[boxes.indexOf(el) + (event.key === "ArrowDown" ? 1 : -1)];
      if (next) { event.preventDefault(); next.focus(); }
    }
  });
  // The phone's camera reads the ID card's QR where the browser can (BarcodeDetector).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-camera-scan]");
    if (!button || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
    event.preventDefault();
    var target = document.getElementById(button.dataset.cameraScan);
    var video = document.createElement("video");
    video.setAttribute("playsinline", "");
    video.className = "w-100 my-2 rounded";
    button.after(video);
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.play();
      var stop = function () { stream.getTracks().forEach(function (t) { t.stop(); }); video.remove(); };
      var tick = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length) { stop(); target.value = codes[0].rawValue; target.form.requestSubmit(); }
          else { requestAnimationFrame(tick); }
        }).catch(function () { requestAnimationFrame(tick); });
      };
      tick();
    }).catch(function () { video.remove(); });
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-camera-scan]").forEach(function (b) {
      if ("BarcodeDetector" in window && navigator.mediaDevices) b.classList.remove("d-none");
    });
  });
})();

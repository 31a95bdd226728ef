/* Camera scanning of labels where the browser has a barcode detector (Chrome on Android);
   typing or a USB/Bluetooth scanner works everywhere without it. */
(function () {
  "use strict";
  var button = document.getElementById("camera-scan");
  var input = document.getElementById("id_code");
  if (!button || !input || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  button.hidden = false;
  var box = document.getElementById("camera-box");
  var video = box.querySelector("video");
  var stream = null;
  function stop() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    box.hidden = true;
  }
  button.addEventListener("click", function () {
    if (stream) { stop(); return; }
    var detector = new window.BarcodeDetector({ formats: ["code_128", "qr_code", "code_39"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
      stream = s;
      video.srcObject = s;
      box.hidden = false;
      video.play();
      function look() {
        if (!stream) return;
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            input.value = codes[0].rawValue;
            stop();
            input.form.submit();
          } else {
            window.requestAnimationFrame(look);
          }
        }).catch(function () { window.requestAnimationFrame(look); });
      }
      look();
    }).catch(function () { stop(); input.focus(); });
  });
})();

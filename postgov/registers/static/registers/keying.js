// The keying and settling pages: keyboard-only work beside the scan. Every field is saved
// (and checked by the server, the one set of rules) as the operator leaves it; Enter moves
// on, Ctrl+Enter saves and serves the next record; Alt+=, Alt+-, Alt+R, Alt+0 move the scan.
(function () {
  "use strict";

  // -- the scan --------------------------------------------------------------------------
  var scale = 1;
  var turn = 0;
  function drawScan() {
    document.querySelectorAll(".pg-scan-page").forEach(function (img) {
      img.style.maxWidth = scale === 1 && turn === 0 ? "100%" : "none";
      img.style.width = scale === 1 && turn === 0 ? "" : img.naturalWidth * scale * 0.5 + "px";
      img.style.transform = turn ? "rotate(" + turn + "deg)" : "";
      img.style.transformOrigin = "center center";
    });
  }
  function scan(what) {
    if (what === "in") scale = Math.min(scale * 1.25, 6);
    if (what === "out") scale = Math.max(scale / 1.25, 0.3);
    if (what === "rotate") turn = (turn + 90) % 360;
    if (what === "reset") { scale = 1; turn = 0; }
    drawScan();
  }
  document.querySelectorAll("[data-scan]").forEach(function (button) {
    button.addEventListener("click", function () { scan(button.dataset.scan); });
  });

  // -- saving field by field -------------------------------------------------------------
  var form = document.getElementById("keying-form");
  var state = document.getElementById("save-state");
  var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
  var pending = 0;

  // -- effort: keys and time, reported with each field saved -----------------------------
  // No key for longer than PAUSE_MS is a pause (registers/stats.py PAUSE_SECONDS).
  var PAUSE_MS = 30000;
  var effort = { keys: 0, active: 0, paused: 0, at: Date.now() };
  function tick() {
    var now = Date.now();
    var gap = now - effort.at;
    if (gap > PAUSE_MS) effort.paused += gap; else effort.active += gap;
    effort.at = now;
  }
  function takeEffort() {
    tick();
    var taken = { keystrokes: effort.keys, active_ms: Math.round(effort.active),
                  paused_ms: Math.round(effort.paused) };
    effort.keys = 0; effort.active = 0; effort.paused = 0;
    return taken;
  }
  var MODIFIERS = ["Shift", "Control", "Alt", "Meta", "CapsLock", "Tab"];

  function say(text) { if (state) state.textContent = text; }

  function showError(input, message) {
    var box = document.getElementById("e-" + input.dataset.key);
    if (box) box.textContent = message || "";
    input.classList.toggle("is-invalid", Boolean(message));
  }

  function closeKeying(message) {
    var box = document.getElementById("keying-closed");
    box.textContent = message;
    box.classList.remove("d-none");
    form.querySelectorAll("input, select, button").forEach(function (el) {
      if (el.type !== "hidden") el.disabled = true;
    });
  }

  // One request at a time, in the order the fields were left: a later value of a field
  // never lands before an earlier one, and the server sees one writer per keying.
  var queue = Promise.resolve();

  function send(input, sent) {
    var body = new FormData();
    body.append("key", input.dataset.key);
    body.append("value", sent);
    var spent = takeEffort();
    Object.keys(spent).forEach(function (name) { body.append(name, spent[name]); });
    return fetch(form.dataset.fieldUrl, {
      method: "POST",
      body: body,
      headers: { "X-CSRFToken": csrf.value },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json();
    }).then(function (data) {
      pending -= 1;
      if (data.closed) { closeKeying(data.closed); return; }
      if (data.saved) input.dataset.saved = sent;
      if (data.again && input.value === sent) {
        // Key it again from the scan: the first try goes, the first entry is not shown.
        input.value = "";
        input.dataset.saved = "";
        input.dataset.queued = "";
        showError(input, data.error);
        input.focus();
      } else if (input.value === sent) showError(input, data.error);
      say(pending ? "…" : "✓");
    }).catch(function () {
      pending -= 1;
      input.dataset.queued = "";
      say("⚠");
    });
  }

  function save(input) {
    var value = input.value;
    if (input.dataset.saved === value || input.dataset.queued === value) return;
    input.dataset.queued = value;
    pending += 1;
    say("…");
    queue = queue.then(function () { return send(input, value); });
  }

  if (form) {
    form.addEventListener("keydown", function (event) {
      if (MODIFIERS.indexOf(event.key) === -1) { effort.keys += 1; tick(); }
    });
    form.addEventListener("submit", function () {
      var spent = takeEffort();
      Object.keys(spent).forEach(function (name) {
        var box = form.querySelector("input[name=" + name + "]");
        if (box) box.value = spent[name];
      });
    });
    var inputs = Array.prototype.slice.call(form.querySelectorAll("[data-key]"));
    inputs.forEach(function (input, index) {
      input.dataset.saved = input.value;
      input.addEventListener("change", function () { save(input); });
      input.addEventListener("blur", function () { save(input); });
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.ctrlKey && !event.metaKey && !event.altKey) {
          event.preventDefault();
          save(input);
          var next = inputs[index + 1] || document.getElementById("save-next");
          if (next) next.focus();
        }
      });
    });
  }

  // -- the verifier's choices ------------------------------------------------------------
  document.querySelectorAll("[data-choice]").forEach(function (typed) {
    typed.addEventListener("input", function () {
      var radio = document.getElementById(typed.dataset.choice);
      if (radio) radio.checked = typed.value !== "";
    });
  });
  var settle = document.getElementById("settle-form");
  if (settle) {
    settle.addEventListener("keydown", function (event) {
      var target = event.target;
      if (target.type !== "radio" || (event.key !== "1" && event.key !== "2")) return;
      var chosen = document.getElementById("c" + event.key + target.id.slice(2));
      if (chosen) { chosen.checked = true; chosen.focus(); event.preventDefault(); }
    });
  }

  // -- keys for the whole page -----------------------------------------------------------
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      var target = form || settle;
      if (target) { event.preventDefault(); target.requestSubmit(); }
      return;
    }
    if (!event.altKey) return;
    var keys = { "=": "in", "+": "in", "-": "out", "r": "rotate", "R": "rotate", "0": "reset" };
    if (keys[event.key]) { event.preventDefault(); scan(keys[event.key]); }
  });
})();

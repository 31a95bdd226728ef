// Maps drawn with Leaflet from what the page gives: markers in a json_script block, the
// base map in data attributes. A file, not an inline script: the Content-Security-Policy
// runs only scripts this site serves. Without a base map the points and commune centres
// are drawn, with their names, on a plain background.
(function () {
  "use strict";
  var STYLES = {
    point: { radius: 8, color: "#8a0015", fillColor: "#e4002b", fillOpacity: 0.9, weight: 2 },
    centre: { radius: 4, color: "#555", fillColor: "#999", fillOpacity: 0.8, weight: 1 },
    here: { radius: 7, color: "#0b4f9c", fillColor: "#3b82f6", fillOpacity: 0.9, weight: 2 }
  };

  // A point's workload on the manager's map: overdue legs, busy, or fine.
  var LEVELS = {
    late: { color: "#7a0010", fillColor: "#dc3545", radius: 10 },
    busy: { color: "#8a5a00", fillColor: "#fd7e14", radius: 9 },
    ok: { color: "#0f5132", fillColor: "#198754" }
  };

  function showError(element) {
    var note = element.parentNode.querySelector("[data-map-error]");
    if (!note) return;
    note.textContent = element.getAttribute("data-error-text");
    note.classList.remove("d-none");
    element.classList.add("pg-map-plain");
  }

  function addBase(map, element) {
    var kind = element.getAttribute("data-base");
    var options = {
      maxZoom: parseInt(element.getAttribute("data-max-zoom"), 10) || 18,
      attribution: element.getAttribute("data-attribution") || ""
    };
    if (kind === "tiles") {
      var layer = L.tileLayer(element.getAttribute("data-tiles"), options);
      var failures = 0;
      layer.on("tileerror", function () {
        failures += 1;
        if (failures === 4) showError(element);
      });
      layer.addTo(map);
    } else if (kind === "pmtiles") {
      if (!window.pmtiles) { showError(element); return; }
      var source = new window.pmtiles.PMTiles(element.getAttribute("data-archive"));
      source.getHeader().then(function () {
        window.pmtiles.leafletRasterLayer(source, options).addTo(map);
      }).catch(function () { showError(element); });
    }
  }

  function popup(marker) {
    var box = document.createElement("div");
    var title = document.createElement(marker.url ? "a" : "strong");
    title.textContent = marker.name;
    if (marker.url) title.href = marker.url;
    box.appendChild(title);
    if (marker.detail) {
      var detail = document.createElement("div");
      detail.textContent = marker.detail;
      box.appendChild(detail);
    }
    return box;
  }

  // A draggable marker that writes where it stands into the form's hidden inputs; a click
  // on the map moves it there. The inputs stay empty until a person places it.
  function addPin(map, marker) {
    var pin = L.marker([marker.lat, marker.lon], { draggable: true, keyboard: true, title: marker.name }).addTo(map);
    function store(latlng) {
      [[marker.lat_input, latlng.lat], [marker.lon_input, latlng.lng]].forEach(function (pair) {
        var input = document.getElementById(pair[0]);
        if (!input) return;
        input.value = pair[1].toFixed(6);
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
      map.getContainer().setAttribute("data-pinned", "");
    }
    pin.on("dragend", function () { store(pin.getLatLng()); });
    map.on("click", function (event) { pin.setLatLng(event.latlng); store(event.latlng); });
  }

  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-markers"));
    var markers = source ? JSON.parse(source.textContent) : [];
    if (!markers.length) return;
    var plain = element.getAttribute("data-base") === "";
    var map = L.map(element, { scrollWheelZoom: false });
    addBase(map, element);
    var bounds = [];
    var line = [];
    markers.forEach(function (marker) {
      var position = [marker.lat, marker.lon];
      bounds.push(position);
      if (marker.route) line.push(position);
      if (marker.kind === "pin") { addPin(map, marker); return; }
      var style = L.extend({}, STYLES[marker.kind] || STYLES.point, LEVELS[marker.level] || {});
      var circle = L.circleMarker(position, style).addTo(map);
      // A point that leads to its own page opens it on a click; the others show a popup.
      if (marker.go && marker.url) circle.on("click", function () { window.location.assign(marker.url); });
      else circle.bindPopup(popup(marker));
      // On a plain background the communes' names are the only landmarks: always shown,
      // quietly; the points' names while there are few enough to read.
      var permanent = marker.kind === "centre" ? plain
        : marker.kind === "point" && markers.length <= 12;
      // Without a popup, the tooltip carries the detail (a point's workload).
      var label = marker.go && marker.detail ? marker.name + " — " + marker.detail : marker.name;
      circle.bindTooltip(label, {
        permanent: permanent, direction: marker.kind === "centre" ? "bottom" : "top", className: "pg-map-label pg-map-label-" + marker.kind
      });
    });
    if (bounds.length === 1) map.setView(bounds[0], 15);
    else map.fitBounds(bounds, { padding: [30, 30], maxZoom: 16 });
    // Markers flagged `route` are stops in the order given: one line joins them. Drawn once
    // the map has its view: before that Leaflet has not made the line's path to move back.
    if (line.length > 1) L.polyline(line, { color: "#0d6efd", weight: 3, opacity: 0.7, interactive: false }).addTo(map).bringToBack();
    element.setAttribute("data-map-ready", "");
  }

  function ready() {
    if (!window.L) return;
    document.querySelectorAll("[data-map]").forEach(draw);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();

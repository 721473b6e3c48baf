/* The owner's preview page (/admin/projects/{p}/surveys/{s}/preview): posts the survey and
 * the chosen theme, width, position and language to the preview frame, whose protocol is in
 * docs/dashboard.md ("Preview"). The frame's origin is opaque (sandbox="allow-scripts"), so
 * messages go to its window with "*" and are taken from its window only. */
(function () {
  "use strict";
  var frame = document.getElementById("preview-frame");
  var controls = document.getElementById("preview-controls");
  var timing = document.getElementById("preview-timing");
  var definition = JSON.parse(document.getElementById("preview-definition").textContent);
  var ready = false;

  function chosen(name) { return controls.elements[name].value; }

  function send() {
    var width = chosen("width");
    frame.classList.toggle("phone", width === "phone");
    if (!ready) return;
    frame.contentWindow.postMessage({
      type: "refiner:preview",
      definition: definition,
      locale: chosen("locale") || null,
      theme: chosen("theme"),
      position: chosen("position"),
      width: width,
    }, "*");
  }

  window.addEventListener("message", function (event) {
    if (event.source !== frame.contentWindow) return;
    var data = event.data;
    if (!data || typeof data !== "object") return;
    if (data.type === "refiner:preview-ready") {
      ready = true;
      send();
    } else if (data.type === "refiner:preview-drawn" && typeof data.ms === "number") {
      timing.textContent = "Drawn in " + data.ms + " ms.";
    }
  });
  controls.addEventListener("change", send);
  controls.addEventListener("submit", function (event) { event.preventDefault(); });
})();

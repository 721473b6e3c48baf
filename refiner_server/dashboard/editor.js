// The survey editor's loader: starts this project's MicroPython build (the module the page
// names in data-runtime) and runs the editor's Python (data-code), which does the rest.
// Nothing here but the start: the form works without it (docs/dashboard.md "The editor").
(function () {
  "use strict";
  var me = document.currentScript;
  var started = performance.now();
  function failed(err) {
    var state = document.getElementById("live-state");
    if (state) state.textContent = "Live checks are off (" + err + "); Save still checks everything.";
    console.warn("refiner editor:", err);
  }
  var code = fetch(me.dataset.code, { credentials: "same-origin" }).then(function (r) {
    if (!r.ok) throw new Error("HTTP " + r.status + " for " + me.dataset.code);
    return r.text();
  });
  import(me.dataset.runtime).then(function (mp) {
    return mp.loadMicroPython({
      url: me.dataset.runtime.replace(/\.mjs$/, ".wasm"),
      linebuffer: true,
      stdout: function (line) { console.log(line); },
      stderr: function (line) { console.error(line); },
    });
  }).then(function (py) {
    return code.then(function (source) {
      py.FS.writeFile("editor_live.py", source);
      py.pyimport("editor_live").start(started);
    });
  }).catch(failed);
})();

/*! refiner-web loader (MIT). Include with:
 *   <script src="https://HOST/static/refiner.js" data-runtime="micropython" async></script>
 * data-runtime: "micropython" (default) | "pyodide"; data-api: API origin (default: this
 * script's origin). Boots the interpreter directly, installs the `refiner_web` package in its
 * file system, registers the `refiner_bridge` JS module (docs/internals.md) and runs
 * `import refiner_web.boot; refiner_web.boot.start()`. Leaves no globals besides `_refiner` and
 * `_refinerQueue`. build.py substitutes the manifest of versioned URLs below.
 * With `data-preview` (only the dashboard's preview frame, /admin/preview) it starts
 * `refiner_web.preview_frame` instead: no client, no ping, no writes; the bridge then also
 * carries the editor's messages in and the frame's out (docs/dashboard.md, "Preview").
 */
(function () {
  "use strict";
  var MANIFEST = /*@manifest*/null;
  var w = window;
  var d = document;
  var MARK = "\u0000";
  var MAX_DEPTH = 32; // deeper values are refused, not walked to a stack overflow
  // What one call may copy into Python (refiner_web/values.py, kept equal by a test): a
  // longer string arrives as a marker, never copied (MicroPython's JSON decoding takes time
  // growing with the square of a string's length); more values visited (shared references
  // are walked each time they appear) or more characters in all refuse the call whole.
  var MAX_TEXT = 4096;
  var MAX_NODES = 256;
  var MAX_CALL_CHARS = 262144;
  var MAX_URL = 2048; // of a page field (refiner_web/values.py)
  var BOOTED = typeof Symbol === "function" ? Symbol.for("refiner.loader") : "__refinerLoader";

  var queue = w._refinerQueue;
  if (!Array.isArray(queue)) queue = w._refinerQueue = [];
  if (queue[BOOTED]) return; // included twice: the first copy owns the boot
  Object.defineProperty(queue, BOOTED, { value: true });
  if (typeof w._refiner !== "function") {
    // Page without the snippet: provide the queueing stub ourselves.
    w._refiner = function () { w._refinerQueue.push(arguments); };
  }

  var failed = false;
  function fail(where, err) {
    if (failed) return;
    failed = true;
    try { console.error("[refiner] " + where + ": " + ((err && err.message) || err), err); }
    catch (_) { /* console unavailable */ }
  }

  function ownScript() {
    var s = d.currentScript;
    if (s && s.src) return s;
    var all = d.getElementsByTagName("script");
    for (var i = all.length - 1; i >= 0; i--) {
      if (/\/refiner\.js(?:[?#]|$)/.test(all[i].src)) return all[i];
    }
    return null;
  }

  // --- encoding of calls (docs/internals.md: "An encoded call") -----------------------------
  function encode(args) {
    var fns = [];
    var stack = [];
    var nodes = 0;
    var chars = 0;
    function marker(kind) { var m = {}; m[MARK] = kind; return m; }
    function text(s) {
      chars += s.length;
      if (chars > MAX_CALL_CHARS) throw new Error("over " + MAX_CALL_CHARS + " characters");
      return s;
    }
    function walk(v) {
      if (++nodes > MAX_NODES) throw new Error("more than " + MAX_NODES + " values");
      switch (typeof v) {
        case "string": {
          if (v.length <= MAX_TEXT) return text(v);
          var l = marker("long"); l.n = v.length; return l;
        }
        case "function": {
          var i = fns.indexOf(v);
          if (i < 0) { i = fns.length; fns.push(v); }
          var f = marker("fn"); f.i = i; return f;
        }
        case "undefined": return marker("undefined");
        case "number":
          if (v !== v) return marker("nan");
          if (v === Infinity) return marker("inf");
          if (v === -Infinity) return marker("-inf");
          return v;
        case "symbol": return marker("symbol");
        case "bigint": { var b = marker("bigint"); b.v = String(v); return b; }
        case "object": {
          if (v === null) return null;
          if (v instanceof Date) {
            var dt = marker("date"); dt.v = isNaN(v.getTime()) ? null : v.toISOString(); return dt;
          }
          if (stack.indexOf(v) >= 0) return marker("cycle");
          if (stack.length >= MAX_DEPTH) return marker("deep");
          stack.push(v);
          try {
            if (Array.isArray(v)) {
              // item by item, not v.map(): that allocates the whole length at once, and the
              // walk stops at MAX_NODES
              var items = [];
              for (var j = 0; j < v.length; j++) items.push(walk(v[j]));
              return items;
            }
            if (typeof v.toJSON === "function") return walk(v.toJSON());
            var out = {};
            Object.keys(v).forEach(function (k) {
              // defined, not assigned: an own "__proto__" key stays a key, not a prototype
              if (k.length > MAX_TEXT) throw new Error("a name over " + MAX_TEXT + " characters");
              Object.defineProperty(out, text(k.charAt(0) === MARK ? MARK + k : k), {
                value: walk(v[k]), enumerable: true, writable: true, configurable: true,
              });
            });
            return out;
          } finally { stack.pop(); }
        }
        default: return v; // boolean
      }
    }
    var list = [];
    for (var i = 0; i < args.length; i++) list.push(walk(args[i]));
    return { json: JSON.stringify(list), fns: fns };
  }

  // --- the bridge ---------------------------------------------------------------------------
  var script = ownScript();
  if (!script) { fail("boot", "cannot find the refiner.js script tag"); return; }
  var src = script.src;
  var runtime = (script.getAttribute("data-runtime") || "micropython").toLowerCase();
  var api = (script.getAttribute("data-api") || new URL(src).origin).replace(/\/+$/, "");
  // The link page's settings (refiner_server/channels/page.py): a JSON block it names
  var pageTag = script.getAttribute("data-page");
  var linkPage = pageTag ? (d.getElementById(pageTag) || {}).textContent || "" : "";
  var preview = script.hasAttribute("data-preview");
  var live = null;

  // A call the page made unreadable (a getter that throws, a non-array in the queue) costs
  // that call one warning, never the page or the calls around it.
  function readable(args) {
    try { return encode(args); }
    catch (err) {
      var name = "_refiner";
      try { if (typeof args[0] === "string") name = args[0].slice(0, 64); } catch (_) { /* null */ }
      try {
        console.warn("[refiner] " + name + ": arguments could not be read: " +
          ((err && err.message) || err));
      } catch (_) { /* ignore */ }
      return null;
    }
  }

  function dispatch(args) {
    var call = readable(args);
    if (!call) return;
    try { live(call); }
    catch (err) {
      try { console.error("[refiner] " + String(args[0]) + ": " + ((err && err.message) || err)); }
      catch (_) { /* ignore */ }
    }
  }

  // Single-page apps change the route with pushState/replaceState, which fire no event:
  // announce them on window so the client sees route changes without the page's help.
  function patchHistory() {
    ["pushState", "replaceState"].forEach(function (name) {
      var original = history[name];
      if (typeof original !== "function") return;
      history[name] = function () {
        var result = original.apply(this, arguments);
        try { w.dispatchEvent(new Event("refiner:locationchange")); } catch (_) { /* ignore */ }
        return result;
      };
    });
  }

  // Page fields as the server stores them (refiner_web/values.py `storable`, the same rule):
  // at most MAX_URL UTF-16 units, a pair never cut in two, NUL and lone surrogates as U+FFFD.
  // Cut here, before Python copies them: MicroPython copies a string in time growing with
  // its length (a 2 MB URL costs it 300 ms), and a title cut by .slice() in an emoji
  // would hold half of it.
  function storable(s) {
    var out = "";
    for (var i = 0; i < s.length && i < MAX_URL; i++) {
      var c = s.charCodeAt(i);
      if ((c & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        if (i + 2 > MAX_URL) break;
        out += s.slice(i, i + 2);
        i++;
      } else {
        out += c === 0 || (c & 0xf800) === 0xd800 ? "\ufffd" : s.charAt(i);
      }
    }
    return out;
  }

  function pageFields() {
    return {
      url: storable(location.href),
      title: storable(d.title),
      referrer: storable(d.referrer),
    };
  }

  // refiner_web/devices.py's device_class, which Python's pings send: the first ping's body
  // must be the one Python makes (tests/unit/test_devices.py runs both over a grid)
  function deviceClass(width, height, coarse) {
    function size(v) { return typeof v === "number" && v > 0; }
    if (!size(width) || !size(height)) return null;
    if (coarse === null) return width < 600 ? "phone" : "desktop";
    if (!coarse) return "desktop";
    return Math.min(width, height) < 600 ? "phone" : "tablet";
  }

  function device() {
    var coarse = null;
    try { coarse = !!w.matchMedia("(pointer: coarse)").matches; } catch (_) { /* none */ }
    try {  // a phone lays a page without a viewport meta tag out 980 px wide: the screen caps it
      var width = Math.min(w.innerWidth, w.screen.width);
      return deviceClass(width, Math.min(w.innerHeight, w.screen.height), coarse);
    } catch (_) { return null; }
  }

  var bridge = {
    api: api,
    nonce: script.nonce || "", // for the widget's <style> under a nonce-based style-src
    runtime: runtime,
    linkPage: linkPage,
    drain: function () {
      return queue.splice(0, queue.length).map(readable).filter(Boolean);
    },
    listen: function (fn) {
      var first = live === null;
      live = fn;
      if (!first) return;
      // Anything queued since drain() goes first, in order; afterwards the queue (and any
      // stub or reference to it the page kept) dispatches at once.
      queue.splice(0, queue.length).forEach(dispatch);
      queue.push = function () {
        for (var i = 0; i < arguments.length; i++) dispatch(arguments[i]);
        return queue.length;
      };
      w._refiner = function () { dispatch(arguments); };
      patchHistory();
      try { performance.mark("refiner:live", { detail: { runtime: runtime } }); }
      catch (_) { try { performance.mark("refiner:live"); } catch (_e) { /* ignore */ } }
      d.dispatchEvent(new CustomEvent("refiner:ready", { detail: { runtime: runtime } }));
    },
    call: function (fn, json, next) {
      try {
        var args = JSON.parse(json);
        if (next !== undefined && next !== null) args.push(next);
        return fn.apply(undefined, args) === false ? "false" : "";
      } catch (err) {
        try { console.error("[refiner] callback: " + ((err && err.message) || err), err); }
        catch (_) { /* ignore */ }
        return "error";
      }
    },
    arity: function (fn) { return fn.length; },
    // localStorage and cookies throw when blocked, full or sandboxed, and MicroPython cannot
    // catch a JavaScript exception: these answer false instead (docs/internals.md).
    store: function (op, key, value) {
      try {
        var s = w.localStorage;
        if (op === "get") return s.getItem(key);
        if (op === "set") { s.setItem(key, value); return true; }
        if (op === "remove") { s.removeItem(key); return true; }
        if (op === "keys") return Object.keys(s).join("\n");
        if (typeof value === "string") d.cookie = value;
        return d.cookie;
      } catch (_) { return false; }
    },
    page: pageFields,
    firstPing: function () {
      var sent = early;
      early = false;
      return sent;
    },
  };

  // --- the preview frame (refiner_web/preview_frame.py) -------------------------------------
  var PREVIEW = "refiner:preview";
  var CHECK_PATH = "/api/v1/schema/survey/check";

  if (preview) {
    // Messages of the preview's type from the parent window only (the editor); Python checks
    // the rest of their shape. `at` is when the change arrived, for the redraw's timing.
    bridge.listenPreview = function (fn) {
      w.addEventListener("message", function (event) {
        if (w.parent === w || event.source !== w.parent) return;
        var data = event.data;
        if (!data || typeof data !== "object" || data.type !== PREVIEW) return;
        var at = performance.now();
        var json;
        try { json = JSON.stringify(data); } catch (_) { return; }
        fn(json, at);
      });
    };
    // The frame's origin is opaque (sandbox="allow-scripts"); its parent is the dashboard,
    // at the origin of the frame's URL.
    bridge.toParent = function (json) {
      if (w.parent !== w) w.parent.postMessage(JSON.parse(json), location.origin);
    };
    // The server's validator (a read: it stores nothing). text/plain needs no preflight.
    bridge.check = function (body, done) {
      fetch(api + CHECK_PATH, {
        method: "POST", body: body, headers: { "Content-Type": "text/plain" },
        credentials: "omit",
      }).then(function (r) {
        return r.text().then(function (text) { done(r.status, text); });
      }).catch(function () { done(0, ""); });
    };
    bridge.now = function () { return performance.now(); };
  }

  // --- boot ---------------------------------------------------------------------------------
  function url(rel) { return new URL(rel, src).href; }

  function logLine(fn) {
    return function (line) { try { fn.call(console, line); } catch (_) { /* ignore */ } };
  }

  // The first ping, sent while the interpreter starts, in the one common case whose body the
  // loader knows: an anonymous visitor with no identity or locale stored or queued, and one
  // setProject. Python builds its own body and uses this answer only when both are the same
  // request (docs/internals.md); otherwise this was one harmless read.
  var early = false;
  var HEX_ID = /^[0-9a-f]{32}$/;
  // refiner_web/commands.py parse_project, kept equal by a test: the id goes into a URL
  var PROJECT_ID = /^[A-Za-z0-9_-]{1,64}$/;
  var REQUEST_TIMEOUT_MS = 20000;
  var ID_COOKIE = "refiner_anonymous_id";
  var ID_KEY = "refiner:anonymous_id";
  var ID_MAX_AGE_S = 2 * 365 * 24 * 3600;

  // The anonymous id Python will find (refiner_web/client.py `_anonymous_id`): the cookie,
  // else localStorage, else a new one of 128 random bits, kept in both places it reads, so
  // a first visit's ping need not wait for Python. Storage that refuses it throws, and then
  // no ping goes early: Python would make an id of its own, and this ping be a stranger's.
  function anonymousId(storage) {
    var id = (/(?:^|;\s*)refiner_anonymous_id=([^;]*)/.exec(d.cookie) || [])[1];
    if (HEX_ID.test(id)) return id;
    id = storage.getItem(ID_KEY);
    if (HEX_ID.test(id)) return id;
    id = Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(16)), function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
    d.cookie = ID_COOKIE + "=" + id + "; Max-Age=" + ID_MAX_AGE_S + "; Path=/; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : "");
    storage.setItem(ID_KEY, id);
    return id;
  }

  function sendFirstPing() {
    var project = null;
    for (var i = 0; i < queue.length; i++) {
      var name = queue[i] && queue[i][0];
      if (name === "setProject" && project === null) project = queue[i][1];
      else if (/^(setProject|identifyUser|resetUser|setLocale|stopPinging)$/.test(name)) return;
    }
    var storage = w.localStorage;
    if (typeof project !== "string" || !PROJECT_ID.test(project)) return;
    if (storage.getItem("refiner:user") || storage.getItem("refiner:locale")) return;
    var id = anonymousId(storage);
    var href = api + "/api/v1/client/" + encodeURIComponent(project) + "/ping";
    var body = JSON.stringify({
      anonymous_id: id, user: null, signature: null, locale: null,
      page: pageFields(), device: device(),
    });
    var response = fetch(href, {
      method: "POST", body: body, headers: { "Content-Type": "application/json" },
      credentials: "omit",
      // given up like Python's own requests (refiner_web/outbox.py REQUEST_TIMEOUT_MS): Python
      // awaits this answer, and a stalled connection must not hold its pings forever
      signal: AbortSignal.timeout ? AbortSignal.timeout(REQUEST_TIMEOUT_MS) : undefined,
    });
    var sent = { url: href, body: body, answer: false };
    // The answer, read here: Python takes it at once when it is in, since each promise it
    // awaits costs a trip through MicroPython's asyncio, which schedules with timers.
    sent.answered = response.then(function (r) {
      return r.text().then(function (text) {
        sent.answer = { status: r.status, text: text, retryAfter: r.headers.get("Retry-After") };
        return sent.answer;
      });
    });
    sent.answered.catch(function () { /* Python sees the failure when it uses this answer */ });
    early = sent;
  }

  function nextTask() {
    return new Promise(function (resolve) { setTimeout(resolve, 0); });
  }

  function fetchOk(href) {
    return fetch(href, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(href.slice(href.lastIndexOf("/") + 1) + ": HTTP " + r.status);
      return r;
    });
  }

  // The package as build.py `pack` wrote it: u32 index size, JSON [[path, size]], contents.
  function unpack(buffer) {
    var size = new DataView(buffer).getUint32(0, true);
    var index = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, size)));
    var at = 4 + size;
    return index.map(function (entry) {
      var file = [entry[0], new Uint8Array(buffer, at, entry[1])];
      at += entry[1];
      return file;
    });
  }

  function loadPyodide() {
    return import(url(MANIFEST.pyodide + "pyodide.mjs")).then(function (pm) {
      return pm.loadPyodide({
        indexURL: url(MANIFEST.pyodide),
        packages: [],
        stdout: logLine(console.log),
        stderr: logLine(console.error),
      });
    });
  }

  // The wasm downloads and compiles while micropython.mjs downloads and runs, not after it.
  function loadMicroPython() {
    var wasm = url(MANIFEST.micropython.replace(/\.mjs$/, ".wasm"));
    var compiled = WebAssembly.compileStreaming(fetchOk(wasm));
    compiled.catch(function () { /* reported by instantiateWasm */ });
    return import(url(MANIFEST.micropython)).then(function (mm) {
      return mm.loadMicroPython({
        url: wasm,
        // passed on to Emscripten by build.py's patch of micropython.mjs
        instantiateWasm: function (imports, done) {
          compiled.then(function (module) {
            return WebAssembly.instantiate(module, imports).then(function (instance) {
              done(instance, module);
            });
          }).catch(function (err) { fail("boot", err); });
          return {};
        },
        linebuffer: true,
        stdout: logLine(console.log),
        stderr: logLine(console.error),
      });
    });
  }

  async function boot() {
    if (!MANIFEST) throw new Error("unbuilt loader (run build.py)");
    var load = { micropython: loadMicroPython, pyodide: loadPyodide }[runtime];
    if (!load) throw new Error("unknown data-runtime " + JSON.stringify(runtime));
    // The interpreter first: its download and start are the longest way to the survey.
    var started = load();
    var pack = fetchOk(url(MANIFEST.bundle[runtime])).then(function (r) {
      return r.arrayBuffer();
    });
    pack.catch(function () { /* reported below */ });
    if (!linkPage && !preview) {
      try { sendFirstPing(); } catch (_) { /* blocked storage or cookies: Python pings */ }
    }
    var py = await started;
    try { performance.mark("refiner:interpreter"); } catch (_) { /* ignore */ }
    // Into the working directory, which both interpreters import from ('' in sys.path):
    // the client is imported and started through the interpreter's own calls, with no
    // Python source for its compiler (on a cold cache, the compiler's first run is slow).
    unpack(await pack).forEach(function (file) {
      var path = file[0];
      py.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
      py.FS.writeFile(path, file[1]);
    });
    py.registerJsModule("refiner_bridge", bridge);
    // Starting the interpreter, importing the client and starting it run as three tasks, not
    // one long one, so the page can paint and take input in between.
    await nextTask();
    var client = py.pyimport(preview ? "refiner_web.preview_frame" : "refiner_web.boot");
    await nextTask();
    client.start();
  }

  boot().catch(function (err) { fail("boot", err); });
})();

"""Start-up of the client in headless Chromium: how soon a survey is on screen, at what cost.

Starts `refiner-server serve` on 127.0.0.1 (a free port, a fresh SQLite file) with a project
`bench` holding one `immediate` NPS survey and one `manual` survey, then for each runtime
(MicroPython, Pyodide) and each way in (the script tag; a PyScript app) loads a host page N
times in a fresh browser context (cold HTTP cache) and N times more in a context that loaded
it once already (warm cache). Per load:

- bytes over the wire (encoded, from Resource Timing) and the number of requests;
- ms from navigation start to a live `_refiner` (the loader's `refiner:live` mark; the
  PyScript way in has no such mark);
- ms to the first question of the immediate survey visible (its title painted);
- Total Blocking Time (long tasks over 50 ms, up to the survey visible), the longest task,
  and the longest that begins once the interpreter is up (the `refiner:interpreter` mark);
- JS heap (`performance.memory`) and WebAssembly memory (every instance's memory) after boot;
- `showForm` → visible for the manual survey, and a click on an answer → next question
  painted (the script tag only: the same client code runs in both ways in).

"Painted" is the end of the first frame that shows the title: a task queued from that
frame's animation-frame callback. The same run also loads the bare interpreter running an
empty program (the floor), round by round with the other loads, so the figures can be read
as ratios to it, and the floor that then draws one title into a shadow root (`paint`): what
any Python survey adds to the floor at the least, a frame. Prints a table of medians
(min-max) and the budgets of issue 6 met or not, and writes JSON to bench/results/boot.json.

    python bench/boot.py                  # 7 loads each
    python bench/boot.py --runs 3 --runtimes micropython --ways script
"""

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script, like bench/server.py

from bench.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

HOST = "127.0.0.1"  # loopback only
NPS = {"id": "score", "type": "nps", "title": "How likely are you to recommend us?"}
WHY = {"id": "why", "type": "text", "title": "What is the main reason?"}
SURVEYS = [
    {
        "id": "bench-now",
        "status": "live",
        "questions": [NPS, WHY],
        "trigger": {"type": "immediate"},
        "frequency": {"repeat": "each_trigger"},
    },
    {
        "id": "bench-manual",
        "status": "live",
        "questions": [NPS, WHY],
        "trigger": {"type": "manual"},
        "frequency": {"repeat": "each_trigger"},
    },
]
RUNTIMES = ("micropython", "pyodide")
PAGES = "bench-pages"  # under the build output, which git ignores
#: logged by a page once its load is over (the survey painted; the floor's program run).
#: Awaited as a console message, which Playwright hears without running script in the page:
#: its polling (`wait_for_function`) evaluates a script of its own on the main thread, some
#: 8 ms at first use, and that landed inside the loads measured here.
DONE = "bench:done"
WAYS = ("script", "pyscript")
#: the `paint` reference page's program: a title in a shadow root, as the widget draws it
PAINT = f"""import js
host = js.document.createElement('refiner-survey')
options = js.Object.new()
options.mode = 'open'
title = js.document.createElement('p')
title.className = 'title'
title.textContent = {NPS["title"]!r}
host.attachShadow(options).appendChild(title)
js.document.body.appendChild(host)
"""

# Recorded in the page before anything else runs: long tasks; the WebAssembly memories of
# every instance (exported or imported); the moment a survey's title is painted.
PROBE = (
    """<script>
(function () {
  var DONE = '%s';
  var probe = window.__bench = {longtasks: [], visible: null, memories: []};
  try {
    new PerformanceObserver(function (list) {
      list.getEntries().forEach(function (e) { probe.longtasks.push([e.startTime, e.duration]); });
    }).observe({type: 'longtask', buffered: true});
  } catch (e) {}
  function keep(imports, result) {
    var instance = result instanceof WebAssembly.Instance ? result : result.instance;
    var env = (imports && imports.env) || {};
    [instance.exports, env].forEach(function (names) {
      Object.keys(names).forEach(function (k) {
        var m = names[k];
        var known = probe.memories.indexOf(m) >= 0;
        if (m instanceof WebAssembly.Memory && !known) probe.memories.push(m);
      });
    });
    return result;
  }
  ['instantiate', 'instantiateStreaming'].forEach(function (name) {
    var original = WebAssembly[name];
    WebAssembly[name] = function (source, imports) {
      return original.apply(this, arguments).then(function (r) { return keep(imports, r); });
    };
  });
  probe.wasmBytes = function () {
    return probe.memories.reduce(function (n, m) { return n + m.buffer.byteLength; }, 0);
  };
  // Painted: the title is in the shadow DOM at a frame; that frame's paint is over when a
  // task queued from its animation-frame callback runs.
  probe.afterPaint = function (found) {
    return new Promise(function (resolve) {
      (function look() {
        requestAnimationFrame(function () {
          var value = found();
          if (!value) return look();
          var channel = new MessageChannel();
          channel.port1.onmessage = function () { resolve([performance.now(), value]); };
          channel.port2.postMessage(null);
        });
      })();
    });
  };
  probe.whenVisible = function (prefix) {
    return probe.afterPaint(function () {
      var host = document.querySelector('refiner-survey');
      var title = host && host.shadowRoot && host.shadowRoot.querySelector('.title');
      var text = title && title.textContent;
      return text && text.indexOf(prefix || '') === 0 ? text : null;
    });
  };
  probe.whenVisible().then(function (v) { probe.visible = v[0]; console.debug(DONE); });
})();
</script>"""
    % DONE
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


SERVE = [sys.executable, "-m", "refiner_server.cli", "serve"]


def make_database(workdir: Path, surveys: list) -> str:
    """A fresh SQLite file in `workdir` with project `bench` holding `surveys`; its URL."""
    db = f"sqlite:///{workdir / 'bench.db'}"
    cli = [sys.executable, "-m", "refiner_server.cli"]
    run = {"cwd": ROOT, "check": True, "capture_output": True}
    subprocess.run([*cli, "project", "create", "bench", "--db", db], **run)
    (workdir / "surveys.json").write_text(json.dumps(surveys))
    subprocess.run(
        [*cli, "survey", "import", str(workdir / "surveys.json"), "--project", "bench", "--db", db],
        **run,
    )
    return db


def start_server(workdir: Path, surveys: list = SURVEYS, serve: list = SERVE) -> tuple:
    """`refiner-server serve` (or `serve`, a command taking the same options) on a free
    loopback port, project `bench` holding `surveys`."""
    db = make_database(workdir, surveys)
    port = free_port()
    proc = subprocess.Popen(
        [
            *serve,
            "--db",
            db,
            "--host",
            HOST,
            "--port",
            str(port),
            "--static",
            str(ROOT / "dist/static"),
            "--index",
            str(ROOT / "index.html"),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 180  # a loaded machine starts it slowly
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/static/refiner.js", timeout=1)
            return proc, base
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the server did not start")


def pages(manifest: dict, runtime: str) -> dict:
    """The host pages: the snippet with the script tag, a PyScript app, the bare floor."""
    static = manifest["base"]
    kind = {"micropython": "mpy", "pyodide": "py"}[runtime]
    snippet = (
        "<script>window._refinerQueue = window._refinerQueue || [];"
        "function _refiner(){_refinerQueue.push(arguments);}"
        "_refiner('setProject', 'bench');</script>"
        f'<script src="{static}refiner.js" data-runtime="{runtime}" async></script>'
    )
    app = (
        f'<script type="module" src="{static}{manifest["pyscript"]}"></script>'
        f'<script type="{kind}" config="{static}{manifest["pyscript_config"][kind]}">'
        "\nfrom refiner_web import refiner\nrefiner('setProject', 'bench')\n</script>"
    )
    if runtime == "micropython":
        floor_boot = (
            f"const m = await import('{static}{manifest['micropython']}');"
            "const py = await m.loadMicroPython();"
        )
    else:
        floor_boot = (
            f"const m = await import('{static}{manifest['pyodide']}pyodide.mjs');"
            f"const py = await m.loadPyodide({{indexURL: '{static}{manifest['pyodide']}'}});"
        )
    floor = (
        f"<script type=module>{floor_boot} performance.mark('refiner:interpreter');"
        "py.runPython('pass'); performance.mark('floor:done');"
        f"console.debug('{DONE}');</script>"
    )
    # The least any Python survey does: the floor, then one title drawn into a shadow root
    # and painted (PROBE sees it as it sees ours). What it adds to the floor is a frame.
    paint = (
        f"<script type=module>{floor_boot} performance.mark('refiner:interpreter');"
        f"py.runPython({json.dumps(PAINT)});</script>"
    )
    head = "<!doctype html><html><head><meta charset=utf-8>" + PROBE
    return {
        "script": head + snippet + "</head><body><p>host page</p></body></html>",
        "pyscript": head + "</head><body><p>host page</p>" + app + "</body></html>",
        "floor": head + floor + "</head><body><p>bare interpreter</p></body></html>",
        "paint": head + paint + "</head><body><p>bare interpreter, one title</p></body></html>",
    }


def wire(page: Page) -> tuple:
    """(encoded bytes, requests) of everything the page fetched so far."""
    return tuple(
        page.evaluate(
            "[performance.getEntriesByType('resource').reduce((n, e) => n + e.transferSize, 0),"
            " performance.getEntriesByType('resource').length]"
        )
    )


def load(browser: Browser, url: str, way: str, warm: bool) -> dict:
    context = browser.new_context()
    page = context.new_page()
    try:
        if warm:
            visit(page, url)
            page.goto("about:blank")
        visit(page, url)
        return _measure(page, way)
    finally:
        context.close()


def visit(page: Page, url: str) -> None:
    """Loads `url` and returns once the page says it is done (`DONE`)."""
    with page.expect_console_message(lambda message: message.text == DONE, timeout=120_000):
        page.goto(url)


def task_costs(tasks: list, visible: float, up: float | None) -> dict:
    """Total Blocking Time to `visible` and the longest task, of all `tasks` ((start, ms)
    pairs) and of those that begin once the interpreter is `up` (the loader's mark; None in
    PyScript, which sets none)."""
    return {
        "tbt_ms": sum(max(0.0, d - 50) for start, d in tasks if start < visible),
        "longest_task_ms": max([d for _, d in tasks] or [0]),
        "longest_task_after_up_ms": None
        if up is None
        else max([d for start, d in tasks if start >= up] or [0]),
    }


def _measure(page: Page, way: str) -> dict:
    page.wait_for_timeout(200)  # let the last resource entries land
    nav = page.evaluate("(performance.getEntriesByName('refiner:live')[0] || {}).startTime ?? null")
    visible = page.evaluate("window.__bench.visible")
    if way == "floor":
        visible = page.evaluate("performance.getEntriesByName('floor:done')[0].startTime")
    up = page.evaluate(
        "(performance.getEntriesByName('refiner:interpreter')[0] || {}).startTime ?? null"
    )
    long_tasks = page.evaluate("window.__bench.longtasks")
    bytes_, requests = wire(page)
    result = {
        "live_ms": nav,
        "visible_ms": visible,
        **task_costs(long_tasks, visible, up),
        "bytes": bytes_,
        "requests": requests,
        "heap_mb": page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : 0")
        / 2**20,
        "wasm_mb": page.evaluate("window.__bench.wasmBytes()") / 2**20,
    }
    if way == "script":
        result.update(_interactions(page))
    return result


def _interactions(page: Page) -> dict:
    """Click on an answer → next question painted; then showForm → visible."""
    answer_ms = page.evaluate("""async () => {
        const host = document.querySelector('refiner-survey');
        const t0 = performance.now();
        // a mouse click (detail 1): a bare .click() is the keyboard's, which selects and
        // stays (WCAG 3.2.2), so the next question would never come
        host.shadowRoot.querySelector('[role=radio][data-value="9"]').dispatchEvent(
            new MouseEvent('click', {bubbles: true, composed: true, detail: 1}));
        const [t1] = await window.__bench.whenVisible('What');
        return t1 - t0;
    }""")
    page.evaluate("_refiner('closeForm', 'bench-now')")
    page.wait_for_function("!document.querySelector('refiner-survey')")
    show_ms = page.evaluate("""async () => {
        const t0 = performance.now();
        _refiner('showForm', 'bench-manual', true);
        const [t1] = await window.__bench.whenVisible();
        return t1 - t0;
    }""")
    return {"answer_next_ms": answer_ms, "showform_ms": show_ms}


def summary(values: list, decimals: int = 0) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    f = f",.{decimals}f"
    return f"{statistics.median(values):{f}} ({min(values):{f}}-{max(values):{f}})"


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--runtimes", nargs="+", default=list(RUNTIMES), choices=RUNTIMES)
    parser.add_argument("--ways", nargs="+", default=list(WAYS), choices=WAYS)
    parser.add_argument("--out", default=str(ROOT / "bench/results/boot.json"))
    args = parser.parse_args(argv)
    manifest = json.loads((ROOT / "dist/static/manifest.json").read_text())
    results = {}
    # Real files from the server, not Playwright routes: routing turns the HTTP cache off,
    # and the warm loads measure that cache.
    folder = ROOT / "dist/static" / PAGES
    folder.mkdir(exist_ok=True)
    for runtime in args.runtimes:
        for way, html in pages(manifest, runtime).items():
            (folder / f"{runtime}-{way}.html").write_text(html)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        proc, base = start_server(Path(tmp))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for runtime in args.runtimes:
                    # Round by round, so a floor and the loads compared with it share the
                    # machine's conditions of the moment.
                    for _ in range(args.runs):
                        for way in ["floor", "paint", *args.ways]:
                            url = f"{base}/static/{PAGES}/{runtime}-{way}.html"
                            for cache in ("cold", "warm"):
                                load_ = load(browser, url, way, cache == "warm")
                                results.setdefault(f"{runtime}/{way}/{cache}", []).append(load_)
                    print(f"  measured {runtime}", file=sys.stderr)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))
    print_table(results, args.runs)
    print_budgets(results)
    print(f"\n{time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


COLUMNS = [  # key, label, decimals
    ("live_ms", "live ms", 0),
    ("visible_ms", "visible ms", 0),
    ("tbt_ms", "TBT ms", 0),
    ("longest_task_ms", "longest task", 0),
    ("longest_task_after_up_ms", "longest once up", 0),
    ("bytes", "kB", 0),
    ("requests", "requests", 0),
    ("heap_mb", "JS heap MB", 1),
    ("wasm_mb", "wasm MB", 1),
    ("showform_ms", "showForm ms", 0),
    ("answer_next_ms", "answer→next ms", 0),
]


def print_table(results: dict, runs: int) -> None:
    print(f"\nmedian (min-max) of {runs} loads; headless Chromium, loopback, this machine")
    print("| load | " + " | ".join(label for _, label, _ in COLUMNS) + " | visible / floor |")
    print("|---" * (len(COLUMNS) + 2) + "|")
    for key, loads in results.items():
        cells = []
        for name, _, decimals in COLUMNS:
            values = [r.get(name) for r in loads]
            if name == "bytes":
                values = [v / 1000 for v in values]
            cells.append(summary(values, decimals))
        print(f"| {key} | " + " | ".join(cells) + f" | {ratio(results, key):.2f}x |")


def median(results: dict, key: str, name: str) -> float:
    return statistics.median(r[name] for r in results[key])


def ratio(results: dict, key: str) -> float:
    """Median visible of these loads over the median of the floor's in the same run."""
    runtime, _, cache = key.split("/")
    return median(results, key, "visible_ms") / median(
        results, f"{runtime}/floor/{cache}", "visible_ms"
    )


def of(name: str, scale: float = 1):  # noqa: ANN201 - a reader for BUDGETS
    """Reads the median of one figure of a load."""
    return lambda results, key: median(results, key, name) / scale


def worst_after_up(results: dict, key: str) -> float | None:
    values = [r["longest_task_after_up_ms"] for r in results[key]]
    return None if None in values else max(values)


#: issue 6: (what, load, reader, limit, unit)
BUDGETS = [
    ("visible / floor", "micropython/script/cold", ratio, 1.5, "x"),
    ("visible / floor, warm cache", "micropython/script/warm", ratio, 1.2, "x"),
    ("compressed over the wire", "micropython/script/cold", of("bytes", 1000), 300, " kB"),
    ("Total Blocking Time", "micropython/script/cold", of("tbt_ms"), 50, " ms"),
    ("showForm → visible", "micropython/script/cold", of("showform_ms"), 30, " ms"),
    ("answer → next question", "micropython/script/cold", of("answer_next_ms"), 30, " ms"),
    ("Pyodide: visible", "pyodide/script/cold", of("visible_ms"), 2500, " ms"),
    (
        "Pyodide: longest task once up (worst load)",
        "pyodide/script/cold",
        worst_after_up,
        500,
        " ms",
    ),
]


def print_budgets(results: dict) -> None:
    print("\n| budget (issue 6) | load | measured | limit | |")
    print("|---|---|---|---|---|")
    for what, key, read, limit, unit in BUDGETS:
        if key not in results:
            continue
        value = read(results, key)
        if value is None:  # a loader without the refiner:interpreter mark
            print(f"| {what} | {key} | - | {limit:,}{unit} | not measured |")
            continue
        shown = f"{value:.2f}" if unit == "x" else f"{value:,.0f}"
        verdict = "met" if value <= limit else "**not met**"
        print(f"| {what} | {key} | {shown}{unit} | {limit:,}{unit} | {verdict} |")


if __name__ == "__main__":
    sys.exit(main())

"""The race against PostHog's survey SDK (issue 17): what a site owner would pick instead.

One server on 127.0.0.1 (`bench/posthog_stub.py`: the real server, plus PostHog's endpoints
stubbed under `/ph/`) serves three targets, each showing one survey of one NPS question to an
anonymous visitor at once: PostHog's SDK (`posthog-js`, pinned in package.json as a dev
dependency: its `array.js`, which loads `surveys.js`), and our client on MicroPython and on
Pyodide (the loader's script tag). Headless Debian Chromium, a fresh context per load (cold
cache), two profiles: desktop, and mobile (CPU slowed 4x by CDP
`Emulation.setCPUThrottlingRate`, Lighthouse's slow 4G: 562.5 ms round trip, 1.47 Mbps down,
675 kbps up, and a 412x823 phone screen). Rounds are interleaved: each round loads every target
once per profile, in an order shuffled anew.

Two kinds of load:

- the race: a bare host page and the survey. Per load: ms from navigation start to the
  question painted (the end of the first frame that shows it); bytes over the wire up to then
  (Resource Timing's transfer sizes: brotli or gzip as served, headers included), and of those
  the ones besides the interpreter's WebAssembly (`.wasm`); Total Blocking Time up to then
  (long tasks over 50 ms); the longest task that begins once the interpreter is up (the loader's
  `refiner:interpreter` mark; PostHog has none); the JS heap in use then (CDP
  `Runtime.getHeapUsage`);
- the host page: a page with its own text, a button, and a large image (its LCP element),
  loaded bare (`none`) and with each target. Its Largest Contentful Paint (PerformanceObserver
  `largest-contentful-paint`), and, from the moment the image is painted until the survey is
  (at least 3 clicks), a click on the button every 100 ms as a visitor would during boot: the
  worst interaction's duration (Event Timing API; INP, which with under 50 interactions is the
  worst one).

Every request must go to 127.0.0.1 (Chromium resolves no other host; each request is checked)
and none may fail. Prints the table of medians with ratios to PostHog, the budgets of issue 17
met or not, and writes JSON to bench/results/race.json.

    python bench/race.py                       # 15 desktop rounds, 8 mobile
    python bench/race.py --quick               # one round of each: the harness works
    python bench/race.py --runs 5 --mobile-runs 2 --targets posthog micropython
"""

import argparse
import json
import os
import random
import shutil
import statistics
import struct
import sys
import tempfile
import time
import zlib
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script, like bench/boot.py

from bench.boot import HOST, NPS, start_server, task_costs  # noqa: E402
from bench.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from bench.posthog_stub import PREFIX  # noqa: E402
from build import compress_file  # noqa: E402

TARGETS = ("posthog", "micropython", "pyodide")
OURS = ("micropython", "pyodide")
#: where `npm ci` puts the pinned SDK; $REFINER_POSTHOG_JS names another copy
POSTHOG_JS = Path(os.environ.get("REFINER_POSTHOG_JS") or ROOT / "node_modules/posthog-js")
#: the snippet's `array.js`, and the lazy `surveys.js` where the SDK asks first (its own version)
POSTHOG_FILES = ("array.js", "{version}/surveys.js")
POSTHOG_TOKEN = "phc_bench"
PAGES = "race-pages"  # under the build output, which git ignores
SURVEYS = [
    {
        "id": "race-nps",
        "status": "live",
        "questions": [NPS],
        "trigger": {"type": "immediate"},
        "frequency": {"repeat": "each_trigger"},
    }
]
#: Lighthouse's mobile profile: its slow 4G as DevTools applies it, and a 4x slower CPU
SLOW_4G = {
    "offline": False,
    "latency": 150 * 3.75,
    "downloadThroughput": 1.6 * 1024 * 1024 * 0.9 / 8,
    "uploadThroughput": 750 * 1024 * 0.9 / 8,
}
PROFILES = {
    "desktop": {"viewport": {"width": 1350, "height": 940}, "cpu": 1, "network": None},
    "mobile": {
        "viewport": {"width": 412, "height": 823},
        "device_scale_factor": 1.75,
        "is_mobile": True,
        "cpu": 4,
        "network": SLOW_4G,
    },
}
KINDS = ("race", "host")
CLICK_EVERY_MS = 100
MIN_CLICKS = 3
WAIT_MS = 300_000  # Pyodide on the mobile profile of a loaded machine takes over a minute
#: Chromium resolves only loopback: nothing can leave the machine, whatever a script asks
NO_OTHER_HOSTS = f"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {HOST}"
#: `navigator.webdriver` false, as on a visitor's browser (PostHog's SDK takes it for a bot)
NOT_AUTOMATED = "--disable-blink-features=AutomationControlled"

# Before anything else in the page: long tasks, LCP, interactions (Event Timing), and the
# moment the target's survey title is painted (a task queued from the animation-frame
# callback of the first frame that shows it). Each page sets `__raceTarget` first.
PROBE = """<script>
(function () {
  var probe = window.__race = {longtasks: [], lcp: [], events: [], visible: null};
  function observe(type, options, each) {
    try {
      new PerformanceObserver(function (list) { list.getEntries().forEach(each); })
        .observe(Object.assign({type: type, buffered: true}, options));
    } catch (e) {}
  }
  observe('longtask', {}, function (e) { probe.longtasks.push([e.startTime, e.duration]); });
  observe('largest-contentful-paint', {}, function (e) {
    probe.lcp.push([e.startTime, e.url || (e.element && e.element.tagName) || '']);
    if (e.url && e.url.indexOf('hero.png') >= 0) console.debug('race:lcp');
  });
  observe('event', {durationThreshold: 16}, function (e) {
    if (e.interactionId) probe.events.push([e.name, e.startTime, e.duration, e.interactionId]);
  });
  var TITLES = {
    posthog: function () {
      var host = document.querySelector('[class^="PostHogSurvey"]');
      var root = host && host.shadowRoot;
      return root && root.querySelector('.survey-question');
    },
    ours: function () {
      var host = document.querySelector('refiner-survey');
      var root = host && host.shadowRoot;
      return root && root.querySelector('.title');
    }
  };
  var target = window.__raceTarget;
  if (target === 'none') {
    addEventListener('load', function () { console.debug('race:done'); });
    return;
  }
  var find = TITLES[target === 'posthog' ? 'posthog' : 'ours'];
  (function look() {
    requestAnimationFrame(function () {
      var title = find();
      if (!title || !title.textContent) return look();
      var channel = new MessageChannel();
      channel.port1.onmessage = function () {
        probe.visible = performance.now();
        probe.title = title.textContent;
        console.debug('race:done');
      };
      channel.port2.postMessage(null);
    });
  })();
})();
</script>"""

HOST_BODY = """<header><h1>Lighthouse Coffee Roasters</h1>
<button id=cart type=button>Add to cart (<span id=count>0</span>)</button></header>
<main><img src=hero.png width=960 height=540 alt="Beans on a tray"
 style="max-width:100%;height:auto;display:block">
<h2>Single origin, roasted this week</h2>
<p>Every bag is roasted to order in small batches and shipped within two days. Choose a
grind, a size and how often you want it; pause or cancel the subscription at any time.</p>
<ul><li>Ethiopia Guji, washed: bergamot, peach, jasmine</li>
<li>Colombia Huila, honey: panela, red apple, cacao</li>
<li>Sumatra Aceh, wet-hulled: cedar, dark chocolate, tobacco</li></ul>
</main>
<script>
document.getElementById('cart').addEventListener('click', function () {
  var count = document.getElementById('count');
  count.textContent = String(Number(count.textContent) + 1);
});
</script>"""


def snippet(target: str, manifest: dict) -> str:
    """What a site owner pastes into the page for `target` (nothing for `none`)."""
    if target == "posthog":
        # PostHog's snippet in essence: a queue for `init` that array.js replays once loaded
        return (
            "<script>window.posthog = window.posthog || [];"
            "posthog._i = posthog._i || [];"
            "posthog.init = function (t, c, n) { posthog._i.push([t, c, n]); };"
            f"posthog.init({POSTHOG_TOKEN!r}, {{api_host: location.origin + {PREFIX!r},"
            " person_profiles: 'identified_only'});</script>"
            f'<script src="{PREFIX}/static/array.js" async></script>'
        )
    if target in OURS:
        return (
            "<script>window._refinerQueue = window._refinerQueue || [];"
            "function _refiner(){_refinerQueue.push(arguments);}"
            "_refiner('setProject', 'bench');</script>"
            f'<script src="{manifest["base"]}refiner.js" data-runtime="{target}" async></script>'
        )
    return ""


def page_html(kind: str, target: str, manifest: dict) -> str:
    head = (
        "<!doctype html><html><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<script>window.__raceTarget = {target!r};</script>{PROBE}{snippet(target, manifest)}"
    )
    body = HOST_BODY if kind == "host" else "<p>host page</p>"
    return f"{head}</head><body>{body}</body></html>"


def hero_png(width: int = 960, height: int = 540) -> bytes:
    """The host page's LCP image: a gradient with noise on every other row (a photo does not
    compress either), about 300 kB as PNG (seeded: the same bytes each run)."""
    rng = random.Random(17)
    rows = []
    for y in range(height):
        noise = rng.randbytes(width) if y % 2 else bytes(width)
        green = y * 255 // height & 0xFE
        row = [bytes((x * 255 // width, green | noise[x] & 1, 128)) for x in range(width)]
        rows.append(b"\x00" + b"".join(row))  # filter byte: none

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def write_site(manifest: dict, targets: list) -> Path:
    """Host pages, the image and PostHog's files (compressed as build.py compresses ours),
    under the build output; returns the folder of PostHog's files."""
    folder = ROOT / "dist/static" / PAGES
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for kind in KINDS:
        for target in ["none", *targets] if kind == "host" else targets:
            (folder / f"{kind}-{target}.html").write_text(page_html(kind, target, manifest))
    (folder / "hero.png").write_bytes(hero_png())
    sdk = folder / "posthog"
    sdk.mkdir()
    if not (POSTHOG_JS / "package.json").is_file():
        raise SystemExit(f"{POSTHOG_JS} is missing: run `npm ci` (posthog-js is a dev dependency)")
    for name in POSTHOG_FILES:
        served = sdk / name.format(version=posthog_version())
        served.parent.mkdir(exist_ok=True)
        shutil.copyfile(POSTHOG_JS / "dist" / Path(name).name, served)
        compress_file((str(served), 11))
    return sdk


def posthog_version() -> str:
    return json.loads((POSTHOG_JS / "package.json").read_text())["version"]


class Load:
    """One load of one page in a fresh context: what the page and the network reported."""

    def __init__(self, browser: Browser, base: str, profile: dict, agent: str) -> None:
        options = {k: v for k, v in profile.items() if k not in ("cpu", "network")}
        self.context = browser.new_context(user_agent=agent, **options)
        self.page = self.context.new_page()
        self.cdp = self.context.new_cdp_session(self.page)
        if profile["cpu"] != 1:
            self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": profile["cpu"]})
        if profile["network"]:
            self.cdp.send("Network.enable")
            self.cdp.send("Network.emulateNetworkConditions", profile["network"])
        self.base = base
        self.heard: set = set()
        self.requests: list = []
        self.failures: list = []
        self.page.on("console", lambda m: self.heard.add(m.text))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: self.failures.append(f"{r.url}: {r.failure}"))
        self.page.on(
            "response",
            lambda r: r.status >= 400 and self.failures.append(f"{r.url}: HTTP {r.status}"),
        )

    def wait_for(self, message: str, what: str) -> None:
        """Until the page logs `message`, without running script in the page (Playwright's
        polling would add its own main-thread work to the load measured)."""
        deadline = time.monotonic() + WAIT_MS / 1000
        while message not in self.heard:
            if time.monotonic() > deadline or self.failures:
                raise RuntimeError(f"{what}: no {message!r}; failures: {self.failures}")
            self.page.wait_for_timeout(20)

    def checked(self) -> None:
        """Every request went to our server on loopback, and none failed."""
        foreign = [u for u in self.requests if u.startswith("http") and not u.startswith(self.base)]
        if foreign or self.failures:
            raise RuntimeError(f"requests elsewhere: {foreign}; failures: {self.failures}")

    def close(self) -> None:
        self.context.close()


def race_load(load: Load, url: str, target: str) -> dict:
    page = load.page
    page.goto(url, wait_until="commit")
    load.wait_for("race:done", f"{target}: survey visible")
    heap = load.cdp.send("Runtime.getHeapUsage")["usedSize"]
    page.wait_for_timeout(200)  # let the last resource entries land
    probe = page.evaluate("window.__race")
    visible = probe["visible"]
    if probe["title"] != NPS["title"]:
        raise RuntimeError(f"{target}: the survey shows {probe['title']!r}")
    resources = page.evaluate(
        "performance.getEntriesByType('resource').map(e => [e.name, e.responseEnd, e.transferSize])"
    )
    before = [(name, size) for name, end, size in resources if end <= visible]
    up = page.evaluate(
        "(performance.getEntriesByName('refiner:interpreter')[0] || {}).startTime ?? null"
    )
    tasks = probe["longtasks"]
    load.checked()
    return {
        "visible_ms": visible,
        "bytes": sum(size for _, size in before),
        "bytes_besides_wasm": sum(size for name, size in before if ".wasm" not in name),
        "requests": len(before),
        **task_costs(tasks, visible, up),
        "interpreter_ms": up,
        "heap_mib": heap / 2**20,
    }


def host_load(load: Load, url: str, target: str) -> dict:
    page = load.page
    page.goto(url, wait_until="commit")
    load.wait_for("race:lcp", f"{target}: the host page's image painted")
    clicks, deadline = 0, time.monotonic() + WAIT_MS / 1000
    box = page.locator("#cart").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    while clicks < MIN_CLICKS or "race:done" not in load.heard:
        page.mouse.click(x, y)
        clicks += 1
        page.wait_for_timeout(CLICK_EVERY_MS)
        if time.monotonic() > deadline:
            raise RuntimeError(f"{target}: no survey while clicking; failures: {load.failures}")
    page.wait_for_timeout(300)  # the last click's frame, and its entry
    probe = page.evaluate("window.__race")
    worst: dict = {}
    for _name, _start, duration, interaction in probe["events"]:
        worst[interaction] = max(worst.get(interaction, 0), duration)
    count = page.evaluate("Number(document.getElementById('count').textContent)")
    if count != clicks:
        raise RuntimeError(f"{target}: {clicks} clicks, the page counted {count}")
    load.checked()
    return {
        "lcp_ms": probe["lcp"][-1][0],
        "lcp_element": probe["lcp"][-1][1].rsplit("/", 1)[-1],
        "inp_ms": max(worst.values() or [0]),
        "clicks": clicks,
        "visible_ms": probe["visible"],
    }


def measure(browser: Browser, agent: str, base: str, profile: str, kind: str, target: str) -> dict:
    load = Load(browser, base, PROFILES[profile], agent)
    try:
        url = f"{base}/static/{PAGES}/{kind}-{target}.html"
        return (race_load if kind == "race" else host_load)(load, url, target)
    finally:
        load.close()


def visitor_agent(browser: Browser) -> str:
    """Headless Chromium's user agent as a visitor's Chromium sends it: PostHog's SDK takes
    "HeadlessChrome" for a bot and then captures nothing, work a real visit does not spare it."""
    page = browser.new_page()
    try:
        return page.evaluate("navigator.userAgent").replace("HeadlessChrome", "Chrome")
    finally:
        page.close()


def schedule(targets: list, runs: int, mobile_runs: int, seed: int) -> list:
    """(round, profile, kind, target) for every load, each round's order shuffled."""
    rng = random.Random(seed)
    order = []
    for r in range(max(runs, mobile_runs)):
        for profile, n in (("desktop", runs), ("mobile", mobile_runs)):
            if r >= n:
                continue
            loads = [(kind, t) for kind in KINDS for t in targets]
            loads += [("host", "none")]
            rng.shuffle(loads)
            order += [(r, profile, kind, t) for kind, t in loads]
    return order


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="desktop rounds")
    parser.add_argument("--mobile-runs", type=int, default=8, help="mobile rounds")
    parser.add_argument(
        "--quick", action="store_true", help="one round of each profile, no warm-up: it works"
    )
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=TARGETS)
    parser.add_argument("--seed", type=int, default=None, help="of the shuffles")
    parser.add_argument("--out", default=str(ROOT / "bench/results/race.json"))
    args = parser.parse_args(argv)
    if args.quick:
        args.runs = args.mobile_runs = 1
    if "posthog" not in args.targets:
        parser.error("the race is against PostHog: keep `posthog` in --targets")
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    manifest = json.loads((ROOT / "dist/static/manifest.json").read_text())
    sdk = write_site(manifest, args.targets)
    meta = {
        "posthog_js": posthog_version(),
        "runs": {"desktop": args.runs, "mobile": args.mobile_runs},
        "seed": seed,
        "loadavg_start": loadavg(),
        "started": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
    }
    print(f"load average at start: {meta['loadavg_start']}", file=sys.stderr)
    loads: dict = {}
    started = time.monotonic()
    serve = [sys.executable, "-m", "bench.posthog_stub", "--posthog", str(sdk)]
    with tempfile.TemporaryDirectory() as tmp:
        proc, base = start_server(Path(tmp), SURVEYS, serve=serve)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, NO_OTHER_HOSTS, NOT_AUTOMATED]
                )
                agent = visitor_agent(browser)
                if not args.quick:  # the server's and the browser's first use of each page
                    for target in ["none", *args.targets]:
                        measure(browser, agent, base, "desktop", "host", target)
                order = schedule(args.targets, args.runs, args.mobile_runs, seed)
                for i, (r, profile, kind, target) in enumerate(order):
                    result = measure(browser, agent, base, profile, kind, target)
                    loads.setdefault(f"{profile}/{kind}/{target}", []).append(result)
                    print(
                        f"  {i + 1}/{len(order)} round {r + 1} {profile} {kind} {target}",
                        file=sys.stderr,
                    )
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    meta["loadavg_end"] = loadavg()
    meta["seconds"] = round(time.monotonic() - started)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"meta": meta, "loads": loads}, indent=1))
    print_tables(meta, loads, args.targets)
    print(f"\n{meta['seconds']} s; load average at end: {meta['loadavg_end']}", file=sys.stderr)
    return 0


def med(loads: dict, key: str, name: str) -> float | None:
    values = [r[name] for r in loads.get(key, []) if r.get(name) is not None]
    return statistics.median(values) if values else None


def worst(loads: dict, key: str, name: str) -> float | None:
    values = [r[name] for r in loads.get(key, []) if r.get(name) is not None]
    return max(values) if values else None


def cell(value: float | None, unit: str, against: float | None = None, decimals: int = 0) -> str:
    if value is None:
        return "-"
    text = f"{value:,.{decimals}f}{unit}"
    if against:
        text += f" ({value / against:.2f}x)"
    return text


#: (label, kind of load, figure, unit, scale, decimals)
ROWS = [
    ("survey visible", "race", "visible_ms", " ms", 1, 0),
    ("bytes to visible (as served)", "race", "bytes", " KiB", 1024, 0),
    ("  of which not WebAssembly", "race", "bytes_besides_wasm", " KiB", 1024, 0),
    ("requests to visible", "race", "requests", "", 1, 0),
    ("Total Blocking Time to visible", "race", "tbt_ms", " ms", 1, 0),
    ("longest task", "race", "longest_task_ms", " ms", 1, 0),
    ("longest task once the interpreter is up", "race", "longest_task_after_up_ms", " ms", 1, 0),
    ("JS heap at visible", "race", "heap_mib", " MiB", 1, 2),
    ("host page: LCP", "host", "lcp_ms", " ms", 1, 0),
    ("host page: worst click during boot (INP)", "host", "inp_ms", " ms", 1, 0),
    ("host page: clicks during boot", "host", "clicks", "", 1, 0),
]
#: the same on both profiles: shown once
DESKTOP_ONLY = ("bytes", "bytes_besides_wasm", "requests")


def print_tables(meta: dict, loads: dict, targets: list) -> None:
    runs = meta["runs"]
    print(
        f"\nposthog-js {meta['posthog_js']} against ours; medians of {runs['desktop']} desktop"
        f" and {runs['mobile']} mobile rounds (cold cache, interleaved, shuffled); ratios to"
        f" PostHog; load average {meta['loadavg_start']} at start, {meta['loadavg_end']} at end"
    )
    columns = ["none", *targets]
    print("| | " + " | ".join("no survey" if c == "none" else c for c in columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for label, kind, name, unit, scale, decimals in ROWS:
        for profile in ("desktop",) if name in DESKTOP_ONLY else PROFILES:
            if not loads.get(f"{profile}/{kind}/posthog"):
                continue
            values = {}
            for c in columns:
                value = med(loads, f"{profile}/{kind}/{c}", name)
                values[c] = None if value is None else value / scale
            cells = [
                cell(values[c], unit, values["posthog"] if c in OURS else None, decimals)
                for c in columns
            ]
            print(f"| {label}, {profile} | " + " | ".join(cells) + " |")
    print_budgets(loads)


def budgets(loads: dict) -> list:
    """Issue 17's budgets that this run measured: (what, measured, limit, met)."""
    out = []

    def check(what: str, value: float | None, limit: float | None, shown: str, bound: str) -> None:
        if value is not None and limit is not None:
            out.append((what, shown, bound, value <= limit))

    for profile in PROFILES:

        def m(kind: str, target: str, name: str, profile: str = profile) -> float | None:
            return med(loads, f"{profile}/{kind}/{target}", name)

        theirs = m("race", "posthog", "visible_ms")
        for target, factor in (("micropython", 0.6), ("pyodide", 4)):
            ours = m("race", target, "visible_ms")
            if theirs and ours is not None:
                what = f"{target} visible ≤ {factor}x PostHog's, {profile}"
                check(what, ours / theirs, factor, f"{ours / theirs:.2f}x", f"{factor}x")
        theirs, ours = m("race", "posthog", "tbt_ms"), m("race", "micropython", "tbt_ms")
        if theirs is not None:
            what = f"micropython TBT ≤ 0.5x PostHog's, {profile}"
            check(what, ours, theirs / 2, f"{ours or 0:,.0f} ms", f"{theirs / 2:,.0f} ms")
        for name, label in (("lcp_ms", "LCP"), ("inp_ms", "INP of a click during boot")):
            bare = m("host", "none", name)
            theirs, ours = m("host", "posthog", name), m("host", "micropython", name)
            if None not in (bare, theirs, ours):
                what = f"micropython's effect on the host page's {label} ≤ PostHog's, {profile}"
                check(
                    what,
                    ours - bare,
                    theirs - bare,
                    f"{ours - bare:+,.0f} ms",
                    f"{theirs - bare:+,.0f} ms",
                )
    besides = med(loads, "desktop/race/micropython", "bytes_besides_wasm")
    what = "micropython bytes besides the interpreter (.wasm) to visible, desktop"
    check(what, besides, 25 * 1024, f"{(besides or 0) / 1024:,.1f} KiB", "25 KiB")
    after = worst(loads, "desktop/race/micropython", "longest_task_after_up_ms")
    what = "micropython: longest task once the interpreter is up, desktop (worst load)"
    check(what, after, 50, f"{after or 0:,.0f} ms", "50 ms")
    wire = med(loads, "desktop/race/pyodide", "bytes")
    check("pyodide on the wire to visible", wire, 3e6, f"{(wire or 0) / 1e6:,.2f} MB", "3 MB")
    return out


def print_budgets(loads: dict) -> None:
    print("\n| budget (issue 17) | measured | limit | |")
    print("|---|---|---|---|")
    for what, measured, limit, met in budgets(loads):
        print(f"| {what} | {measured} | {limit} | {'met' if met else '**not met**'} |")


if __name__ == "__main__":
    sys.exit(main())

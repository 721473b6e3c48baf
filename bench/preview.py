"""The dashboard's preview frame in headless Chromium: how long from an edit to the preview
redrawn (docs/dashboard.md, "Preview"; the bound of issue 18 is 100 ms).

Starts `refiner-server serve` on 127.0.0.1 (bench/boot.py `start_server`), opens a parent
page that embeds `/admin/preview` as the editor does (`sandbox="allow-scripts"`), waits for
the frame's `ready`, then posts N edits of a five-question survey with logic and a
translation, one at a time, each changing the first question's title as typing does (every
fifth one also the theme, position or width). Per edit, two figures:

- `frame`: the frame's own `ms` (message received -> survey redrawn in the DOM, the
  validator's round trip to the server included), as the frame reports it;
- `painted`: from the parent's `postMessage` to the end of the first frame that shows the
  new title (measured in the parent: a task queued from the animation-frame callback after
  the `drawn` answer), what an owner sees.

Prints medians, p95 and max per figure, writes bench/results/preview.json.

    python bench/preview.py              # 200 edits
    python bench/preview.py --edits 50
"""

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script, like bench/boot.py

from bench.boot import start_server  # noqa: E402
from bench.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "preview.json"
BOUND_MS = 100
SURVEY = {
    "id": "bench-preview",
    "name": "Preview bench",
    "questions": [
        {"id": "score", "type": "nps", "title": "How likely are you to recommend us?"},
        {"id": "why", "type": "text", "title": "What is the main reason?", "multiline": True},
        {
            "id": "plan",
            "type": "single_choice",
            "title": "Which plan?",
            "choices": [{"id": "free", "label": "Free"}, {"id": "pro", "label": "Pro"}],
            "other": True,
        },
        {"id": "stars", "type": "rating", "scale": 5, "title": "Rate the docs"},
        {"id": "mail", "type": "email", "title": "May we write to you?"},
    ],
    "logic": [{"if": {"question": "score", "op": "gte", "value": 9}, "goto": "stars"}],
    "thank_you": {"title": "Thank you!"},
    "appearance": {"accent": "#0e7490"},
    "translations": {"de": {"questions": {"score": {"title": "Wie wahrscheinlich?"}}}},
}
PARENT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bench</title>
</head><body><iframe id="f" sandbox="allow-scripts" src="/admin/preview"
title="Survey preview" style="width: 900px; height: 640px"></iframe><script>
  var frame = document.getElementById("f");
  window.ready = false;
  var waiting = null;
  addEventListener("message", function (e) {
    if (e.source !== frame.contentWindow) return;
    if (e.data.type === "refiner:preview-ready") window.ready = true;
    if (e.data.type === "refiner:preview-drawn" && waiting) {
      var w = waiting; waiting = null;
      requestAnimationFrame(function () {
        setTimeout(function () {
          w.resolve({frame: e.data.ms, painted: performance.now() - w.at});
        }, 0);
      });
    }
  });
  window.edit = function (message) {
    return new Promise(function (resolve) {
      waiting = {resolve: resolve, at: performance.now()};
      frame.contentWindow.postMessage(message, "*");
    });
  };
</script></body></html>"""
VARIANTS = [
    {"theme": "dark"},
    {"position": "center"},
    {"width": "phone"},
    {"locale": "de"},
    {"position": "top"},
]


def message(n: int) -> dict:
    survey = json.loads(json.dumps(SURVEY))
    survey["questions"][0]["title"] = "How likely are you to recommend us? " + "x" * (n % 40)
    chosen = {"locale": "en", "theme": "light", "position": "bottom-right", "width": "desktop"}
    if n % 5 == 4:
        chosen.update(VARIANTS[(n // 5) % len(VARIANTS)])
    return {"type": "refiner:preview", "definition": survey, **chosen}


def stats(values: list) -> dict:
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 1),
        "p95": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 1),
        "max": round(ordered[-1], 1),
    }


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=200)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        proc, base = start_server(Path(tmp), [])
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page()
                url = base + "/bench/preview.html"
                page.route(url, lambda route: route.fulfill(body=PARENT, content_type="text/html"))
                page.goto(url)
                page.wait_for_function("window.ready", timeout=60000)
                page.evaluate("m => edit(m)", message(0))  # the first draw imports the widget
                runs = [page.evaluate("m => edit(m)", message(n)) for n in range(args.edits)]
                title = page.frame_locator("#f").locator("refiner-survey .title").text_content()
                assert title.startswith("How likely") or title == "Wie wahrscheinlich?", title
                browser.close()
        finally:
            proc.terminate()
            proc.wait(10)
    result = {
        "edits": args.edits,
        "runtime": "micropython",
        "frame": stats([r["frame"] for r in runs]),
        "painted": stats([r["painted"] for r in runs]),
        "bound_ms": BOUND_MS,
    }
    print(f"preview redraw, {args.edits} edits, MicroPython (ms)")
    print(f"{'figure':<10} {'median':>8} {'p95':>8} {'max':>8}")
    for name in ("frame", "painted"):
        row = result[name]
        print(f"{name:<10} {row['median']:>8} {row['p95']:>8} {row['max']:>8}")
    met = result["painted"]["p95"] <= BOUND_MS
    print(f"bound: p95 painted <= {BOUND_MS} ms: {'met' if met else 'NOT met'}")
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

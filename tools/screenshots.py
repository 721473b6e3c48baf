#!/usr/bin/env python3
"""Screenshots of the survey widget: every question type, light and dark, into
``docs/screenshots/<name>-<theme>.png``; and an accent that would vanish on the panel
(#ffff00 on light, #111111 on dark) as the widget adjusts it: ``accent-nps-<theme>.png``,
``accent-choice-<theme>.png``; the channels (docs/channels.md): a link page on a phone and a
desktop, the feedback button closed and open (``link-*.png``, ``feedback-*.png``).

Usage: ``python tools/screenshots.py [--runtime micropython|pyodide] [--out DIR] [--channels]``
(``--channels``: those of the channels only)

Runs what the e2e tests run: ``build.py`` output, ``refiner-server serve --demo`` on a free
port with a throwaway database, Debian Chromium (``REFINER_CHROMIUM``), and the real client
showing each survey through ``_refiner('showForm', id, true)``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from refiner_server.cli import main as server_cli  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, Server, host_html  # noqa: E402
from tests.e2e.test_question_types import more_types  # noqa: E402
from tests.e2e.test_widget import ALL_TYPES  # noqa: E402

# (file name, question id, how to give it a value without moving on)
SHOTS = [
    ("nps", "nps", ["ArrowRight"] * 8),
    ("rating-stars", "stars", ["ArrowRight"] * 3),
    ("rating-numbers", "nums", ["End"]),
    ("csat-faces", "csat", ["ArrowRight"] * 3),
    ("csat-labels", "csat2", ["ArrowDown"] * 3),
    ("emoji", "emoji", ["End"]),
    ("single-choice", "plan", [" ", "ArrowDown"]),
    ("multiple-choice", "feat", [" ", "Tab", "Tab", " ", "Tab", "type:Dark mode"]),
    ("text", "why", ["type:Onboarding took a while; the docs helped."]),
    ("email", "mail", ["type:jane@example.com"]),
    ("statement", "bye", []),
    ("matrix", "grid", ["ArrowRight", "Tab", "ArrowRight", "ArrowRight"]),
    ("ranking", "order", ["Enter"]),
    ("date", "when", ["type:03152026"]),
    ("consent", "terms", [" "]),
    ("cta", "go", []),
]
LABELS = {"low": "Not likely", "high": "Very likely"}
#: An accent with ~1:1 contrast on each theme's panel (the audit's, issue 16).
FAINT = {"light": "#ffff00", "dark": "#111111"}


def forms(base_url: str) -> list:
    """`base_url`: the server's, where a call to action's link points (nothing leaves)."""
    out = []
    every = ALL_TYPES + more_types(base_url)
    for theme in ("light", "dark"):
        for name, qid, _ in SHOTS:
            question = dict(next(q for q in every if q["id"] == qid), required=False)
            if qid == "nps":
                question["labels"] = LABELS
            out.append(
                {
                    "id": "shot-%s-%s" % (name, theme),
                    "status": "live",
                    "questions": [question, {"id": "end", "type": "statement", "title": "x"}],
                    "thank_you": {
                        "title": "Thank you!",
                        "description": "Your answers help us build a better product.",
                        "auto_close_s": 0,
                    },
                    "trigger": {"type": "manual"},
                    "appearance": {"position": "bottom-right", "theme": theme},
                }
            )
        nps = dict(ALL_TYPES[0], required=False, labels=LABELS)
        feat = next(q for q in ALL_TYPES if q["id"] == "feat")
        out.append(
            dict(
                out[0],
                id="shot-accent-%s" % theme,
                questions=[nps, feat, {"id": "end", "type": "statement", "title": "x"}],
                appearance={"position": "bottom-right", "theme": theme, "accent": FAINT[theme]},
            )
        )
    modal = dict(out[0], id="shot-modal-light", appearance={"position": "center"})
    rtl = dict(
        out[0],
        id="shot-rtl-light",
        translations={"ar": {"questions": {"nps": {"title": "ما مدى احتمال أن توصي بنا؟"}}}},
    )
    return out + [modal, rtl]


def shoot(page: Page, path: Path, target: str | None = "refiner-survey .panel") -> None:
    page.evaluate(
        "(() => { const h = document.querySelector('refiner-survey');"
        " const a = h && h.shadowRoot.activeElement; if (a && a.tagName !== 'INPUT'"
        " && a.tagName !== 'TEXTAREA') a.blur(); })()"
    )
    page.mouse.move(0, 0)
    if target is None:  # the viewport
        page.screenshot(path=str(path), animations="disabled")
    else:
        page.locator(target).screenshot(path=str(path), animations="disabled")
    print("wrote", path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def show(page: Page, form_id: str) -> None:
    page.evaluate("id => _refiner('showForm', id, true)", form_id)
    page.wait_for_selector("refiner-survey[data-form='%s'] .title" % form_id)


def close(page: Page, form_id: str) -> None:
    page.evaluate("id => _refiner('closeForm', id)", form_id)
    page.wait_for_function("!document.querySelector('refiner-survey')")


def serve_host(runtime: str, body: str = "<main><h1>Host page</h1></main>"):  # noqa: ANN201
    """A Playwright route handler that answers with a host page of `body`."""
    html = host_html(runtime, body)
    return lambda route: route.fulfill(body=html, headers={"content-type": "text/html"})


CHANNEL_FORMS = [
    {
        "id": "shot-link",
        "status": "live",
        "questions": [
            dict(ALL_TYPES[0], required=False, labels=LABELS),
            {"id": "idea", "type": "text", "title": "What should we improve?"},
        ],
        "hidden_fields": ["plan"],
        "channels": {"link": "public", "title": "Two minutes for us?"},
    },
    {
        "id": "shot-button",
        "status": "live",
        "questions": [{"id": "idea", "type": "text", "title": "What should we improve?"}],
        "frequency": {"repeat": "each_trigger"},
        "channels": {"button": {"label": "Feedback", "position": "right", "background": "#0a7"}},
    },
]
SITE = (
    "<main style='font:16px/1.5 system-ui;max-width:40rem;margin:2rem auto;padding:0 1rem'>"
    "<h1>Acme dashboard</h1><p>Your projects, your numbers, your week.</p></main>"
)


def channel_shots(browser: object, base_url: str, runtime: str, out: Path) -> None:
    """The link page on a phone (light) and a desktop (dark); the feedback button on a site,
    closed (light) and open (dark)."""
    for name, viewport, theme in (
        ("link-phone-light", {"width": 390, "height": 700}, "light"),
        ("link-desktop-dark", {"width": 1024, "height": 600}, "dark"),
    ):
        page = browser.new_page(viewport=viewport, reduced_motion="reduce", color_scheme=theme)
        page.goto("%s/s/demo/shot-link?plan=pro&runtime=%s" % (base_url, runtime))
        page.wait_for_selector("refiner-survey .title")
        shoot(page, out / (name + ".png"), None)
        page.close()
    for theme in ("light", "dark"):
        page = browser.new_page(
            viewport={"width": 800, "height": 520}, reduced_motion="reduce", color_scheme=theme
        )
        page.route(base_url + "/test/feedback.html", serve_host(runtime, SITE))
        page.goto(base_url + "/test/feedback.html")
        button = page.locator("refiner-feedback").get_by_role("button", name="Feedback")
        button.wait_for()
        if theme == "dark":
            button.click()
            page.wait_for_selector("refiner-survey .title")
        shoot(page, out / ("feedback-%s.png" % ("open-dark" if theme == "dark" else "light")), None)
        page.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runtime", default="micropython", choices=["micropython", "pyodide"])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--channels", action="store_true", help="only the channels' shots")
    args = parser.parse_args(argv)
    subprocess.run([sys.executable, "build.py", "--fast", "--quiet"], cwd=ROOT, check=True)
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="refiner-shots-"))
    server = Server(work)
    server.start()
    try:
        path = work / "forms.json"
        path.write_text(json.dumps(forms(server.base_url) + CHANNEL_FORMS), "utf-8")
        command = ["survey", "import", str(path), "--project", "demo", "--db", server.db_url]
        if server_cli(command) != 0:
            return 1
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            channel_shots(browser, server.base_url, args.runtime, args.out)
            for theme in ("light", "dark") if not args.channels else ():
                page = browser.new_page(
                    viewport={"width": 420, "height": 640},
                    reduced_motion="reduce",
                    color_scheme=theme,
                )
                page.route(server.base_url + "/test/shots.html", serve_host(args.runtime))
                page.goto(server.base_url + "/test/shots.html")
                page.wait_for_function("performance.getEntriesByName('refiner:live').length")
                for name, _, keys in SHOTS:
                    form_id = "shot-%s-%s" % (name, theme)
                    show(page, form_id)
                    page.keyboard.press("Tab")  # the x button
                    page.keyboard.press("Tab")  # the question's first control
                    for key in keys:
                        if key.startswith("type:"):
                            page.keyboard.type(key[5:])
                        else:
                            page.keyboard.press(key)
                    shoot(page, args.out / ("%s-%s.png" % (name, theme)))
                    if name == "statement":
                        page.locator("refiner-survey button.next").click()
                        page.locator("refiner-survey button.next").click()
                        shoot(page, args.out / ("thank-you-%s.png" % theme))
                    close(page, form_id)
                form_id = "shot-accent-" + theme
                show(page, form_id)
                for key in ["Tab", "Tab"] + ["ArrowRight"] * 8:
                    page.keyboard.press(key)
                shoot(page, args.out / ("accent-nps-%s.png" % theme))
                page.locator("refiner-survey button.next").click()  # shoot() took the focus
                page.keyboard.press(" ")  # the first choice, focused on the new question
                shoot(page, args.out / ("accent-choice-%s.png" % theme))
                close(page, form_id)
                if theme == "light":
                    show(page, "shot-modal-light")
                    shoot(page, args.out / "modal-light.png", "refiner-survey")
                    close(page, "shot-modal-light")
                    page.evaluate("_refiner('setLocale', 'ar')")
                    show(page, "shot-rtl-light")
                    shoot(page, args.out / "rtl-light.png")
                    close(page, "shot-rtl-light")
                page.close()
            browser.close()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

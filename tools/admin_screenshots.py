#!/usr/bin/env python3
"""Screenshots of the owners' dashboard into ``docs/screenshots/admin-*.png``: the survey
list, a survey page light and dark, its preview light and dark, the survey page at 320 px,
a survey's life (the new-survey page, a draft made from the NPS template, two of its
versions compared), the survey editor (its top, and a question with a fault the live
check found as it was typed), and the project's pages: segments, settings, people and the
audit log.

Usage: ``python tools/admin_screenshots.py [--out DIR] [--days N]``

Starts ``refiner-server serve --demo`` on a free port with a throwaway database, sends two
weeks of made-up traffic for the demo survey through the client API (an app over the same
database whose clock steps through the days, so the trends have a shape), makes a token
with the CLI and signs in with it in Debian Chromium.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import subprocess
import sys
import tempfile
import urllib.request
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from refiner_server.app import create_app  # noqa: E402
from refiner_server.cli import main as server_cli  # noqa: E402
from refiner_server.clock import Clock  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, Server  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1/client/demo"
SURVEY = "/admin/projects/demo/surveys/demo-nps"
PLANS = ["free", "pro", "team"]
REASONS = [
    "Setup took five minutes.",
    "The docs answered everything.",
    "Exports are slow on big projects.",
    "I miss a Slack integration.",
    "Support replied within the hour.",
]


#: more surveys, so that the list shows each status
EXTRA = [
    {
        "id": "onboarding-csat",
        "name": "Onboarding satisfaction",
        "status": "paused",
        "questions": [{"id": "mood", "type": "csat", "title": "How was getting started?"}],
        "trigger": {"type": "event", "event": "Finished onboarding"},
    },
    {
        "id": "pricing-poll",
        "name": "Pricing page poll",
        "status": "draft",
        "questions": [{"id": "fair", "type": "emoji", "title": "Are our prices fair?"}],
        "trigger": {
            "type": "page",
            "pages": {"include": [{"match": "equals", "value": "/pricing"}]},
        },
    },
]


def traffic(db_url: str, days: int, seed: int = 7) -> int:
    """Views and responses for the demo survey over `days` days up to today; returns the
    number of responses."""
    rng = random.Random(seed)
    clock = Clock()
    start = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    start -= timedelta(days=days - 1)
    n = 0
    with TestClient(create_app(db_url, clock=clock)) as client:
        for day in range(days):
            clock.set(start + timedelta(days=day))
            for _ in range(rng.randint(6, 14)):
                n += 1
                user = f"user-{n:04d}"
                plan = rng.choice(PLANS)
                ping = {
                    "anonymous_id": f"anon-{n:010d}",
                    "user": {"id": user, "email": f"{user}@example.com", "traits": {"plan": plan}},
                }
                client.post(f"{API}/ping", json=ping).raise_for_status()
                view = {"view_id": f"view-{n:08d}", "form_id": "demo-nps", "user_id": user}
                client.post(f"{API}/views", json=view).raise_for_status()
                if rng.random() < 0.3:
                    continue  # seen, not answered
                score = min(10, max(0, round(rng.gauss(7.5 + day / days, 2.2))))
                answers: dict = {"score": score, "stars": min(5, max(1, score // 2))}
                if score < 9:
                    answers.update(why=rng.choice(REASONS), plan=plan)
                body = {
                    "form_id": "demo-nps",
                    "user_id": user,
                    "answers": answers,
                    "data": {"source": rng.choice(["onboarding", "billing", "dashboard"])},
                    "completed": rng.random() < 0.9,
                }
                client.put(f"{API}/responses/resp-{n:08d}", json=body).raise_for_status()
                if rng.random() < 0.5:
                    mood = {"form_id": "onboarding-csat", "user_id": user, "completed": True}
                    mood["answers"] = {"mood": rng.choice([3, 4, 4, 5, 5])}
                    client.put(f"{API}/responses/csat-{n:08d}", json=mood).raise_for_status()
    return n


def token(db_url: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert server_cli(["token", "create", "screenshots", "--db", db_url]) == 0
    return out.getvalue().strip().splitlines()[-1]


def sign_in(page: Page, base_url: str, raw: str) -> None:
    page.goto(base_url + "/admin/login")
    page.fill("#token", raw)
    page.keyboard.press("Enter")
    page.wait_for_url(base_url + "/admin")


def shoot(page: Page, path: Path, height: int | None = None) -> None:
    """The page from the top, `height` pixels of it (default: all)."""
    width = page.viewport_size["width"] if page.viewport_size else 1000
    clip = {"x": 0, "y": 0, "width": width, "height": height} if height else None
    page.screenshot(path=str(path), full_page=True, clip=clip, animations="disabled")
    print("wrote", path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def library(page: Page, server: Server, raw: str, out: Path) -> None:
    """The new-survey page, the draft it makes from the NPS template in German, and that
    survey's first two versions compared (the second saved through the admin API)."""
    page.goto(server.base_url + "/admin/projects/demo/new-survey")
    page.get_by_label("Language").select_option("de")
    page.get_by_label("Id (optional)").fill("nps-q3")
    shoot(page, out / "admin-new-survey.png", 1500)
    page.get_by_role("button", name="Create draft").click()
    page.wait_for_url("**/surveys/nps-q3?done=created")
    shoot(page, out / "admin-draft.png", 520)
    url = server.base_url + "/api/v1/admin/projects/demo/surveys/nps-q3"
    headers = {"Authorization": f"Bearer {raw}", "Content-Type": "application/json"}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as answer:
        definition = json.loads(answer.read())["definition"]
    definition["questions"][0]["title"] = "Würden Sie uns weiterempfehlen?"
    definition["questions"][1]["required"] = True
    definition["trigger"] = {"type": "event", "event": "Finished onboarding"}
    definition["appearance"] = {"position": "center", "theme": "dark"}
    body = json.dumps(definition).encode()
    urllib.request.urlopen(urllib.request.Request(url, body, headers, method="PUT")).close()
    page.goto(server.base_url + "/admin/projects/demo/surveys/nps-q3/versions/compare?a=1&b=2")
    shoot(page, out / "admin-versions.png")


def editor(browser: Any, base_url: str, raw: str, out: Path) -> None:
    """The editor of the demo survey: its top, then question 4 with a scale out of range."""
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    sign_in(page, base_url, raw)
    page.goto(base_url + SURVEY + "/edit")
    page.wait_for_selector("html[data-editor=ready]")
    shoot(page, out / "admin-editor.png", 1100)
    page.fill("#questions\\[3\\]\\.scale", "42")
    page.wait_for_selector("#err-questions\\[3\\]\\.scale:not([hidden])")
    page.locator("#questions\\[3\\]").screenshot(path=str(out / "admin-editor-fault.png"))
    print("wrote", out / "admin-editor-fault.png")
    page.close()


def project_pages(page: Page, base_url: str, out: Path) -> None:
    """A segment made through its form, the settings, an invitation on the people page, and
    the audit log those changes left."""
    project = base_url + "/admin/projects/demo"
    page.goto(project + "/segments")
    page.get_by_label("Id").fill("pro")
    page.get_by_label("Name").fill("Pro customers")
    rules = {"identified_only": True, "rules": [{"trait": "plan", "op": "eq", "value": "pro"}]}
    page.get_by_label("Audience (JSON)").fill(json.dumps(rules))
    page.get_by_role("button", name="Create segment").click()
    page.wait_for_url("**/segments/pro?done=created")
    page.goto(project + "/segments")
    shoot(page, out / "admin-segments.png", 900)
    page.goto(project + "/settings")
    shoot(page, out / "admin-settings.png", 600)
    page.goto(project + "/people")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Role", exact=True).select_option("editor")
    page.get_by_role("button", name="Create invitation link").click()
    page.wait_for_load_state()
    shoot(page, out / "admin-people.png", 900)
    page.goto(project + "/audit")
    shoot(page, out / "admin-audit.png", 900)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--days", type=int, default=14)
    args = parser.parse_args(argv)
    subprocess.run([sys.executable, "build.py", "--fast", "--quiet"], cwd=ROOT, check=True)
    args.out.mkdir(parents=True, exist_ok=True)
    server = Server(Path(tempfile.mkdtemp(prefix="refiner-admin-shots-")))
    server.start()
    try:
        extra = server.workdir / "extra.json"
        extra.write_text(json.dumps(EXTRA), "utf-8")
        command = ["survey", "import", str(extra), "--project", "demo", "--db", server.db_url]
        assert server_cli(command) == 0
        traffic(server.db_url, args.days)
        raw = token(server.db_url)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for theme in ("light", "dark"):
                page = browser.new_page(viewport={"width": 1000, "height": 800}, color_scheme=theme)
                sign_in(page, server.base_url, raw)
                if theme == "light":
                    page.set_viewport_size({"width": 1000, "height": 420})
                    shoot(page, args.out / "admin-list.png")
                    page.set_viewport_size({"width": 1000, "height": 800})
                page.goto(server.base_url + SURVEY)
                shoot(page, args.out / f"admin-survey-{theme}.png", 1900)
                page.goto(server.base_url + SURVEY + "/preview")
                page.get_by_label("Theme").select_option(theme)
                frame = page.frame_locator("#preview-frame")
                frame.locator(f"refiner-survey .panel.theme-{theme} .title").wait_for()
                shoot(page, args.out / f"admin-preview-{theme}.png", 1000)
                if theme == "light":
                    page.set_viewport_size({"width": 320, "height": 640})
                    shoot(page, args.out / "admin-survey-320.png", 2400)
                page.close()
            page = browser.new_page(viewport={"width": 1000, "height": 800})
            sign_in(page, server.base_url, raw)
            library(page, server, raw, args.out)
            project_pages(page, server.base_url, args.out)
            editor(browser, server.base_url, raw, args.out)
            browser.close()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

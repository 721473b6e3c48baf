"""`refiner_web` as a Python package inside a PyScript app, on `mpy` and `py`."""

import uuid
from pathlib import Path
from typing import Any

from tests.e2e.conftest import HostPage
from tests.e2e.test_client import events_of_user, refiner_warnings, wait_for_rows

APP = """
from refiner_web import refiner

seen = []
refiner("setProject", "demo")
refiner("identifyUser", {"id": "%(user)s", "plan": "pro", "seats": 3})
refiner("onShow", lambda form_id: seen.append(form_id))
refiner("trackEvent", "from-pyscript")
refiner("trackEvent", 42)
"""


def test_pyscript_app_uses_the_package(
    host: HostPage, built_static: dict[str, Any], db_path: Path
) -> None:
    kind = {"micropython": "mpy", "pyodide": "py"}[host.runtime]
    user = "pyscript-" + uuid.uuid4().hex
    static = built_static["base"]
    page = (
        '<!doctype html><html><head><meta charset="utf-8">'
        f'<link rel="stylesheet" href="{static}{built_static["pyscript_css"]}">'
        f'<script type="module" src="{static}{built_static["pyscript"]}"></script>'
        "</head><body>"
        f'<script type="{kind}" config="{static}{built_static["pyscript_config"][kind]}">'
        + APP % {"user": user}
        + "</script></body></html>"
    )
    host.open(html_text=page)
    assert events_of_user(db_path, user) == [("from-pyscript",)]
    plan = wait_for_rows(
        db_path,
        "SELECT t.type, t.value_int FROM traits t JOIN contacts c ON c.pk = t.contact_pk "
        "WHERE c.user_id = ? AND t.key = 'seats'",
        user,
    )
    assert plan == [("integer", 3)]
    assert refiner_warnings(host) == [
        "[refiner] trackEvent: the event name must be a non-empty string, not a number"
    ]
    # no script-tag globals in a PyScript app
    assert host.page.evaluate("typeof window._refiner") == "undefined"
    assert host.errors() == []

"""A project whose allowed origins leave the site out, on both runtimes: the page comes from
another origin than the API (a second port on 127.0.0.1: conftest's `Site`), so its
requests are cross-origin as on a real site. The
server's 403 ``origin_not_allowed`` is readable there: one warning, the write kept in the
outbox, and stored exactly once after the owner allows the site through the admin API."""

import json
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from refiner_server.db import make_engine
from refiner_server.tokens import create_token
from tests.e2e.conftest import HostPage, Server, Site, host_html
from tests.e2e.hardening import RECORDER, recorded, rows_while_routing, wait_in_page
from tests.e2e.test_client import outbox_entries, query

REFUSED = "this site's origin is not in project %s's allowed origins"


@pytest.fixture(scope="module")
def token(_server_session: Server) -> Iterator[str]:
    """An admin API token, made as the CLI makes one."""
    engine = make_engine(_server_session.db_url)
    try:
        yield create_token(engine, "e2e origins")[1]
    finally:
        engine.dispose()


def admin(server: Server, token: str, method: str, path: str, body: dict) -> dict:
    """One admin API call, as the site owner makes it (no Origin: not from a page)."""
    request = urllib.request.Request(
        server.base_url + "/api/v1/admin" + path,
        data=json.dumps(body).encode(),
        method=method,
        headers={"authorization": "Bearer " + token, "content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def open_elsewhere(host: HostPage, site: Site, project: str) -> None:
    """The snippet and the loader (from the API's origin) on the other site's page."""
    loader = '<script src="%s/static/refiner.js" data-runtime="%s" async></script>' % (
        host.base_url,
        host.runtime,
    )
    site.page = host_html(host.runtime, project=project, loader=False, after_loader=loader).encode()
    host.page.add_init_script(RECORDER)
    host.page.goto(site.origin + "/shop.html")
    host.wait_ready()


def our_warnings(host: HostPage) -> list:
    return [w for w in recorded(host, "__warnings") if w.startswith("[refiner]")]


def test_refused_origin_is_told_once_and_the_write_waits_until_allowed(
    host: HostPage, server: Server, db_path: Path, token: str, site: Site
) -> None:
    project = "origins-" + uuid.uuid4().hex[:12]
    admin(server, token, "POST", "/projects", {"id": project})
    admin(server, token, "PATCH", "/projects/" + project, {"allowed_origins": ["https://x.test"]})
    open_elsewhere(host, site, project)
    host.page.evaluate("_refiner('trackEvent', 'kept-while-refused')")

    def refused_twice() -> bool:
        entries = outbox_entries(host)
        return bool(entries) and entries[0]["attempts"] >= 2 and bool(our_warnings(host))

    wait_in_page(host, refused_twice)
    [entry] = outbox_entries(host)
    assert entry["key"].startswith("event:") and entry["attempts"] >= 2  # kept, retried
    [warning] = our_warnings(host)  # one for the ping and every retry of the write
    assert REFUSED % project in warning and site.origin in warning, warning
    assert query(db_path, "SELECT 1 FROM events WHERE project_id = ?", project) == []
    assert host.errors() == []  # the 403 was readable: no CORS error in the console

    allowed = admin(
        server, token, "PATCH", "/projects/" + project, {"allowed_origins": [site.origin]}
    )["allowed_origins"]
    assert allowed == [site.origin]
    sql = "SELECT name FROM events WHERE project_id = ? ORDER BY received_at"
    assert rows_while_routing(host, db_path, sql, project) == [("kept-while-refused",)]
    wait_in_page(host, lambda: outbox_entries(host) == [])
    host.page.evaluate("_refiner('trackEvent', 'after')")
    assert rows_while_routing(host, db_path, sql, project, count=2) == [
        ("kept-while-refused",),
        ("after",),
    ]  # exactly once, and the client goes on
    assert len(our_warnings(host)) == 1 and host.errors() == []
    assert recorded(host, "__rejections") == []

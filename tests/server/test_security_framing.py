"""No other site may frame a page of ours (clickjacking): every HTML answer the server
gives (Swagger UI, the dashboard's pages signed in and out, its error pages, the demo page,
an HTML file of the build) refuses framing by CSP and by `X-Frame-Options`, once each."""

from __future__ import annotations

import json

from refiner_server.projects import import_surveys
from refiner_server.tokens import create_token
from tests.server.conftest import write_with_siblings

SIGNED_OUT = ["/", "/docs", "/admin/login", "/static/page.html"]
SIGNED_IN = ["/admin", "/admin/projects/p1/surveys/framed", "/admin/projects/p1/surveys/none"]


def framing_refused(r) -> bool:
    policies = r.headers.get_list("content-security-policy")
    return (
        r.headers["content-type"].startswith("text/html")
        and len(policies) == 1
        and "frame-ancestors 'none'" in policies[0]
        and r.headers.get_list("x-frame-options") == ["DENY"]
        and r.headers.get_list("x-content-type-options") == ["nosniff"]
    )


def test_every_html_page_refuses_to_be_framed(client, engine, static_dir):
    (static_dir / "manifest.json").write_text(json.dumps({"swagger_ui": "v/sw1/"}))
    write_with_siblings(static_dir / "page.html", b"<!doctype html><title>a page</title>")
    import_surveys(engine, "p1", [{"id": "framed", "status": "live", "questions": []}])
    pages = {url: client.get(url) for url in SIGNED_OUT}
    _id, raw = create_token(engine, "owner")
    signed_in = client.post(
        "/admin/login",
        data={"token": raw, "next": "/admin"},
        headers={"origin": "http://testserver"},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    pages.update({url: client.get(url) for url in SIGNED_IN})
    assert pages["/admin/projects/p1/surveys/none"].status_code == 404  # an error page
    framable = [url for url, r in pages.items() if not framing_refused(r)]
    assert framable == []


def test_what_is_not_html_carries_no_frame_headers(client):
    """The rule is by content type: JSON, scripts and runtime files are not pages."""
    for r in (client.get("/openapi.json"), client.get("/static/refiner.js")):
        assert r.status_code == 200
        assert "x-frame-options" not in r.headers and "content-security-policy" not in r.headers

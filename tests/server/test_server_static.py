"""Runtime files: precompressed copies by Accept-Encoding, MIME types, cache headers."""

from __future__ import annotations

import gzip
import json

import brotli
import pytest

from refiner_server.http.static import accepted_encodings, safe_join


def get(client, path: str, encoding: str | None = None, **headers):
    # httpx would add its own Accept-Encoding and decode: ask for exactly what we test
    headers["accept-encoding"] = encoding or "identity"
    return client.get(path, headers=headers)


def test_brotli_when_accepted(client, static_dir):
    r = client.get("/static/refiner.js", headers={"accept-encoding": "gzip, deflate, br"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "br"
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["vary"].lower() == "accept-encoding"
    assert r.headers["cache-control"] == "public, max-age=300, stale-while-revalidate=86400"
    assert r.headers["etag"]
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.content == (static_dir / "refiner.js").read_bytes()  # decoded by httpx
    assert int(r.headers["content-length"]) == (static_dir / "refiner.js.br").stat().st_size


def test_gzip_when_brotli_not_accepted(client, static_dir):
    r = client.get("/static/refiner.js", headers={"accept-encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert int(r.headers["content-length"]) == (static_dir / "refiner.js.gz").stat().st_size
    assert r.content == (static_dir / "refiner.js").read_bytes()


def test_brotli_refused_by_q0(client):
    r = client.get("/static/refiner.js", headers={"accept-encoding": "br;q=0, gzip;q=0.5"})
    assert r.headers["content-encoding"] == "gzip"


def test_identity_when_nothing_accepted(client, static_dir):
    r = get(client, "/static/refiner.js")
    assert "content-encoding" not in r.headers
    assert r.content == (static_dir / "refiner.js").read_bytes()
    assert r.headers["vary"].lower() == "accept-encoding"


def test_gzip_fallback_when_no_br_copy(client, static_dir):
    r = client.get("/static/widget.css", headers={"accept-encoding": "br, gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["content-type"] == "text/css; charset=utf-8"


def test_encoded_copies_differ_in_etag(client):
    tags = {
        enc: client.get("/static/refiner.js", headers={"accept-encoding": enc}).headers["etag"]
        for enc in ("br", "gzip", "identity")
    }
    assert len(set(tags.values())) == 3


@pytest.mark.parametrize(
    ("path", "ctype"),
    [
        ("v/abc123/micropython.wasm", "application/wasm"),
        ("v/abc123/micropython.mjs", "text/javascript; charset=utf-8"),
        ("refiner.js", "text/javascript; charset=utf-8"),
        ("v/abc123/refiner_web/boot.py", "text/plain; charset=utf-8"),
        ("pyodide-lock.json", "application/json"),
        ("widget.css", "text/css; charset=utf-8"),
        ("v/abc123/python_stdlib.zip", "application/zip"),
    ],
)
@pytest.mark.parametrize("encoding", ["br", "gzip", "identity"])
def test_content_type_is_the_originals(client, path, ctype, encoding):
    r = client.get(f"/static/{path}", headers={"accept-encoding": encoding})
    assert r.status_code == 200
    assert r.headers["content-type"] == ctype


def test_brotli_body_is_the_brotli_copy(static_dir, app):
    """Check the bytes on the wire, undecoded."""
    import httpx

    async def fetch():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            path = "/static/v/abc123/micropython.wasm"
            async with c.stream("GET", path, headers={"accept-encoding": "br"}) as r:
                wire = b"".join([chunk async for chunk in r.aiter_raw()])
            return r, wire

    import anyio

    r, wire = anyio.run(fetch)
    original = (static_dir / "v/abc123/micropython.wasm").read_bytes()
    assert r.headers["content-encoding"] == "br"
    assert brotli.decompress(wire) == original
    assert wire == (static_dir / "v/abc123/micropython.wasm.br").read_bytes()
    assert gzip.decompress((static_dir / "v/abc123/micropython.wasm.gz").read_bytes()) == original


def test_versioned_paths_are_immutable(client):
    r = get(client, "/static/v/abc123/micropython.wasm")
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    r = get(client, "/static/widget.css")
    assert r.headers["cache-control"] == "no-cache"


def test_loader_fresh_for_minutes_then_revalidated_in_background(client):
    r = get(client, "/static/refiner.js")
    assert r.headers["cache-control"] == "public, max-age=300, stale-while-revalidate=86400"


def test_etag_revalidation(client):
    first = client.get("/static/refiner.js", headers={"accept-encoding": "br"})
    r = client.get(
        "/static/refiner.js",
        headers={"accept-encoding": "br", "if-none-match": first.headers["etag"]},
    )
    assert r.status_code == 304 and r.content == b""
    assert r.headers["etag"] == first.headers["etag"]
    # another encoding is another representation: no 304 with the br tag
    r = client.get(
        "/static/refiner.js",
        headers={"accept-encoding": "gzip", "if-none-match": first.headers["etag"]},
    )
    assert r.status_code == 200


def test_changed_file_is_served_fresh(client, static_dir):
    path = static_dir / "runtime.txt"
    path.write_text("one")
    assert get(client, "/static/runtime.txt").text == "one"
    path.write_text("two!")
    assert get(client, "/static/runtime.txt").text == "two!"


def test_head(client, static_dir):
    r = client.head("/static/refiner.js", headers={"accept-encoding": "br"})
    assert r.status_code == 200 and r.content == b""
    assert r.headers["content-encoding"] == "br"
    assert int(r.headers["content-length"]) == (static_dir / "refiner.js.br").stat().st_size
    r = client.head("/", headers={"accept-encoding": "identity"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")


def test_large_file_streams(client, static_dir):
    from refiner_server.http.static import CACHE_FILE_MAX

    data = bytes(range(256)) * (CACHE_FILE_MAX // 256 + 10)
    (static_dir / "v" / "abc123" / "big.wasm").write_bytes(data)
    r = get(client, "/static/v/abc123/big.wasm")
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-type"] == "application/wasm"
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.head("/static/v/abc123/big.wasm").headers["content-length"] == str(len(data))


@pytest.mark.parametrize(
    "path",
    [
        "/static/..%2Foutside.txt",
        "/static/..%2F..%2Foutside.txt",
        "/static/v/..%2F..%2F..%2Foutside.txt",
        "/static/%2e%2e/outside.txt",
        "/static/.hidden",
        "/static/v",
        "/static/v/",
        "/static/",
        "/static/missing.js",
        "/static/refiner.js%00",
        "/static/..%5Coutside.txt",
        "/static//etc/passwd",
    ],
)
def test_refuses_traversal_and_non_files(client, path):
    r = get(client, path)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
    assert "outside" not in r.text


def test_safe_join(tmp_path):
    root = str(tmp_path)
    assert safe_join(root, "a/b.js") == str(tmp_path / "a" / "b.js")
    for bad in ("../x", "a/../../x", "/etc/passwd", "a//b", ".env", "a\\b", "a\x00"):
        assert safe_join(root, bad) is None


def test_accepted_encodings():
    assert accepted_encodings("gzip, deflate, br") == {"br", "gzip"}
    assert accepted_encodings("br;q=0, gzip") == {"gzip"}
    assert accepted_encodings("*") == {"br", "gzip"}
    assert accepted_encodings("*, br;q=0") == {"gzip"}
    assert accepted_encodings("identity") == set()
    assert accepted_encodings(None) == set()
    assert accepted_encodings("x-gzip") == {"gzip"}


def test_index_page(client, index_html):
    r = get(client, "/")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["cache-control"] == "no-cache"
    assert r.text == index_html.read_text()


def test_static_is_post_proof(client):
    r = client.post("/static/refiner.js", content=b"x")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"


def test_static_preflight(client):
    r = client.options(
        "/static/v/abc123/micropython.wasm",
        headers={"origin": "https://site.example", "access-control-request-method": "GET"},
    )
    assert r.status_code == 204 and r.headers["access-control-allow-origin"] == "*"


def test_without_static_or_index(db_url):
    from fastapi.testclient import TestClient

    from refiner_server.app import create_app

    with TestClient(create_app(db_url, None, None)) as c:
        assert c.get("/static/refiner.js").status_code == 404
        assert c.get("/").status_code == 404


def test_stable_pyscript_urls(client, static_dir):
    """docs/client.md "In a PyScript app": configs and core at stable URLs, usable from any origin:
    every URL in the config absolute at the origin asked (PyScript resolves `interpreter`
    against the page), the API named, versioned files found through the redirects."""
    manifest = {
        "base": "/static/",
        "pyscript": "v/p1/core.js",
        "pyscript_css": "v/p1/core.css",
        "pyscript_config": {"mpy": "v/a1/mpy.json", "py": "v/a1/py.json"},
    }
    (static_dir / "manifest.json").write_text(json.dumps(manifest))
    (static_dir / "v/a1").mkdir(parents=True)
    (static_dir / "v/a1/mpy.json").write_text(
        json.dumps(
            {
                "interpreter": "/static/v/m1/micropython.mjs",
                "files": {"./refiner_web/boot.mpy": "refiner_web/boot.mpy"},
            }
        )
    )
    r = client.get("/static/pyscript/mpy.json", headers={"host": "surveys.example:8443"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
    assert r.headers["cache-control"] == "public, max-age=300, stale-while-revalidate=86400"
    origin = "http://surveys.example:8443"
    assert r.json() == {
        "interpreter": origin + "/static/v/m1/micropython.mjs",
        "files": {origin + "/static/v/a1/refiner_web/boot.mpy": "refiner_web/boot.mpy"},
        "refiner": {"api": origin},
    }
    for name, target in (("core.js", "v/p1/core.js"), ("core.css", "v/p1/core.css")):
        r = client.get("/static/pyscript/" + name, follow_redirects=False)
        assert r.status_code == 302 and r.headers["location"].endswith("/static/" + target)
    assert client.get("/static/pyscript/py.json").json()["error"]["code"] == "not_built"
    assert client.get("/static/pyscript/other.js").status_code == 404

"""Serving the build output: precompressed siblings, right MIME types, cache headers.

The build writes every file with `.br` and `.gz` copies beside it. A request gets the best
copy its Accept-Encoding allows, typed as the original (`.wasm` must be `application/wasm`:
Pyodide only compiles by streaming). Files under `v/<hash>/` never change: cached for a year.
The loader (`refiner.js`), the one stable URL pages embed, is fresh for 5 minutes and then
used stale while the browser revalidates it in the background for a day: a returning visitor
starts without a round trip, and a new build reaches every page within a load or two. An old
loader still finds its files: build.py keeps the previous builds' `v/<hash>/` for a week.
Small files are kept in memory (checked against mtime and size on every request) so a hit
costs one stat per candidate and no thread hop.
"""

from __future__ import annotations

import os
import stat
from email.utils import formatdate
from pathlib import Path

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from refiner_server.deps import IndexHtml, StaticDir
from refiner_server.http.errors import error_response

IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
LOADER = "refiner.js"
LOADER_CACHE = "public, max-age=300, stale-while-revalidate=86400"
CACHE_FILE_MAX = 4 * 1024 * 1024
CACHE_TOTAL_MAX = 128 * 1024 * 1024

MEDIA_TYPES = {
    ".wasm": "application/wasm",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".css": "text/css; charset=utf-8",
    ".py": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".zip": "application/zip",
    ".whl": "application/zip",
    ".tar": "application/x-tar",
    ".gz": "application/gzip",
    ".br": "application/octet-stream",
}

#: the client build a wheel carries (setup.py: `static/` and the demo page `index.html`)
PACKAGED = Path(__file__).resolve().parent.parent / "built"


def default_site() -> tuple[Path, Path]:
    """`serve`'s build output and demo page when not given: the installed wheel's, else a
    checkout's (`dist/static` and `index.html`, relative to the working directory)."""
    if (PACKAGED / "static" / "manifest.json").is_file():
        return PACKAGED / "static", PACKAGED / "index.html"
    return Path("dist", "static"), Path("index.html")


#: content codings we have siblings for, best first
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


def media_type(path: str) -> str:
    """Content-Type of a file by its suffix (of the original, not of a `.br` copy)."""
    return MEDIA_TYPES.get(os.path.splitext(path)[1].lower(), "application/octet-stream")


def accepted_encodings(header: str | None) -> set[str]:
    """Codings of ours that an Accept-Encoding header allows (q > 0, `*` honoured)."""
    if not header:
        return set()
    qs: dict[str, float] = {}
    for part in header.split(","):
        token, _, params = part.partition(";")
        token = token.strip().lower()
        if token == "x-gzip":
            token = "gzip"
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if token:
            qs[token] = q
    star = qs.get("*", 0.0)
    return {c for c, _ in ENCODINGS if qs.get(c, star) > 0}


def _regular(path: str) -> os.stat_result | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st if stat.S_ISREG(st.st_mode) else None


class FileServer:
    """Serves files by absolute path with encoding negotiation and an in-memory cache."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[int, int, bytes]] = {}
        self._cached_bytes = 0

    async def serve(
        self, request: Request, path: str, cache_control: str, ctype: str | None = None
    ) -> Response:
        st = _regular(path)
        if st is None:
            return error_response(404, "not_found", "no such file")
        headers = {
            "content-type": ctype or media_type(path),
            "cache-control": cache_control,
            "vary": "Accept-Encoding",
        }
        accepts = accepted_encodings(request.headers.get("accept-encoding"))
        chosen, chosen_st, tag = path, st, ""
        for coding, suffix in ENCODINGS:
            if coding in accepts:
                sibling_st = _regular(path + suffix)
                if sibling_st is not None:
                    chosen, chosen_st, tag = path + suffix, sibling_st, "-" + coding
                    headers["content-encoding"] = coding
                    break
        etag = f'"{chosen_st.st_mtime_ns:x}-{chosen_st.st_size:x}{tag}"'
        headers["etag"] = etag
        headers["last-modified"] = formatdate(chosen_st.st_mtime, usegmt=True)
        if _matches(request.headers.get("if-none-match"), etag):
            del headers["content-type"]
            headers.pop("content-encoding", None)
            return Response(status_code=304, headers=headers)
        if chosen_st.st_size > CACHE_FILE_MAX:
            return FileResponse(chosen, stat_result=chosen_st, headers=headers)
        body = await self._read(chosen, chosen_st)
        headers["content-length"] = str(len(body))
        if request.method == "HEAD":
            return Response(headers=headers)
        return Response(body, headers=headers)

    async def _read(self, path: str, st: os.stat_result) -> bytes:
        hit = self._cache.get(path)
        if hit is not None and hit[0] == st.st_mtime_ns and hit[1] == st.st_size:
            return hit[2]
        body = await anyio.to_thread.run_sync(Path(path).read_bytes)
        if self._cached_bytes + len(body) > CACHE_TOTAL_MAX:
            self._cache.clear()
            self._cached_bytes = 0
        old = self._cache.pop(path, None)
        if old is not None:
            self._cached_bytes -= len(old[2])
        self._cache[path] = (st.st_mtime_ns, st.st_size, body)
        self._cached_bytes += len(body)
        return body


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag in tags


def safe_join(root: str, relpath: str) -> str | None:
    """`root/relpath`, or None for anything that could leave `root` or name a hidden file:
    `..`, `.`, empty segments, dot-files, backslashes, NUL bytes."""
    if "\\" in relpath or "\x00" in relpath:
        return None
    parts = relpath.split("/")
    if any(not p or p.startswith(".") for p in parts):
        return None
    full = os.path.normpath(os.path.join(root, *parts))
    if os.path.commonpath([root, full]) != root:
        return None
    return full


FAVICON = Path(__file__).resolve().parent.parent / "favicon.svg"
FAVICON_CACHE = "public, max-age=86400"


#: one per process: its cache is keyed by path and checked against mtime and size
FILES = FileServer()
#: `/favicon.ico`, which browsers ask for on every page of ours (demo, dashboard, /docs): an
#: SVG, which they take whatever the name
router = APIRouter(include_in_schema=False)
#: `GET|HEAD /static/{path}` from the build output (`deps.StaticDir`), when one is served;
#: after `pyscript_apps.router`, whose stable URLs it would answer 404 otherwise
build_router = APIRouter(include_in_schema=False)
#: `GET|HEAD /` as the demo page (`deps.IndexHtml`), when one is served
index_router = APIRouter(include_in_schema=False)


@router.api_route("/favicon.ico", methods=["GET", "HEAD"])
async def favicon(request: Request) -> Response:
    return await FILES.serve(request, str(FAVICON), FAVICON_CACHE, "image/svg+xml")


@build_router.api_route("/static/{path:path}", methods=["GET", "HEAD"])
async def static_file(request: Request, path: str, static_dir: StaticDir) -> Response:
    full = safe_join(str(static_dir), path)
    if full is None:
        return error_response(404, "not_found", "no such file")
    if path.startswith("v/"):
        cache = IMMUTABLE
    else:
        cache = LOADER_CACHE if path == LOADER else NO_CACHE
    return await FILES.serve(request, full, cache)


@index_router.api_route("/", methods=["GET", "HEAD"])
async def demo_page(request: Request, index_html: IndexHtml) -> Response:
    return await FILES.serve(request, str(index_html), NO_CACHE, "text/html; charset=utf-8")

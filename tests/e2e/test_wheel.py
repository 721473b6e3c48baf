"""The product as a user installs it (docs/install.md): a wheel built from this checkout
(`python -m build --wheel`, which runs build.py through setup.py), installed into a fresh
virtualenv and started from an empty folder, serves the demo page, the loader and both
runtimes with no checkout and no npm; Chromium answers the demo survey on each runtime.

The wheel is built without build isolation and the server's dependencies come from this
environment (a `.pth` naming its site-packages, read after the new venv's own): the test
needs no network. That path holds none of our code (the editable install's finder is not
loaded through it), which `test_the_installed_package_is_the_wheel` pins."""

import json
import os
import subprocess
import sys
import sysconfig
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import READY_TIMEOUT_S, ROOT, SERVER_START_TIMEOUT_S, HostPage, free_port
from tests.e2e.test_client import wait_for_rows


@dataclass
class Installed:
    venv: Path
    folder: Path  # the empty folder it runs in
    db_path: Path
    origin: str


def run(*argv: str | Path, cwd: Path) -> str:
    proc = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=_clean_env(), capture_output=True, text=True
    )
    assert proc.returncode == 0, f"{argv} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def _clean_env() -> dict[str, str]:
    """Nothing of this checkout or its virtualenv leaks into the installed server."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    tmp = tmp_path_factory.mktemp("wheel")
    # from outside the checkout: there, `python -m build` finds our build.py first
    run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", tmp, ROOT, cwd=tmp)
    (wheel,) = tmp.glob("refiner_web-*.whl")
    venv = tmp / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp)
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", python, "--disable-pip-version-check"]
    run(*pip, "install", "--quiet", "--no-index", "--no-deps", wheel, cwd=tmp)
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp)
    Path(site.strip(), "server_dependencies.pth").write_text(sysconfig.get_paths()["purelib"])
    folder = tmp / "empty"
    folder.mkdir()
    port = free_port()
    log = (tmp / "server.log").open("wb")
    server = subprocess.Popen(
        [venv / "bin" / "refiner-server", "serve", "--demo", "--db", "sqlite:///demo.db"]
        + ["--port", str(port)],
        cwd=folder,
        env=_clean_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(server, origin, tmp / "server.log")
        yield Installed(venv, folder, folder / "demo.db", origin)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def _wait_until_up(server: subprocess.Popen, origin: str, log: Path) -> None:
    for _ in range(int(SERVER_START_TIMEOUT_S * 10)):
        assert server.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(origin + "/static/refiner.js", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        subprocess.run(["sleep", "0.1"], check=True)
    raise AssertionError("the installed server did not answer:\n" + log.read_text())


def test_the_installed_package_is_the_wheel(installed: Installed) -> None:
    code = "import refiner_server as s, refiner_web as w; print(s.__file__, w.__file__)"
    paths = run(installed.venv / "bin" / "python", "-c", code, cwd=installed.folder).split()
    assert all(Path(p).is_relative_to(installed.venv) for p in paths), paths
    # nothing but the database in the folder it runs in: the client comes from the package
    assert {p.name.partition("-")[0] for p in installed.folder.iterdir()} == {"demo.db"}


def test_installed_wheel_serves_the_demo_and_takes_an_answer(
    installed: Installed, page, runtime: str
) -> None:
    host = HostPage(page, installed.origin, runtime)
    page.set_default_timeout(READY_TIMEOUT_S * 1000)
    page.goto(f"{installed.origin}/?runtime={runtime}")
    page.wait_for_function(
        "runtime => document.getElementById('runtime').textContent === runtime", arg=runtime
    )
    page.locator("button[data-command=showForm]").click()
    survey = page.locator("refiner-survey")
    marker = f"installed from a wheel, {runtime} {uuid.uuid4().hex}"
    survey.get_by_role("radio", name="8 of 10").click()
    survey.get_by_role("textbox").fill(marker)
    survey.get_by_role("button", name="Next").click()
    survey.get_by_text("Pro", exact=True).click()
    survey.get_by_role("radio", name="4 of 5 stars").click()
    survey.get_by_role("heading", name="Thank you!").wait_for()
    rows = wait_for_rows(
        installed.db_path,
        "SELECT answers FROM responses WHERE completed = 1 AND answers LIKE ?",
        f"%{marker}%",
    )
    assert [json.loads(answers) for (answers,) in rows] == [
        {"score": 8, "why": marker, "plan": "pro", "stars": 4}
    ]
    assert host.messages("error") == []  # no 404 either (favicon.ico)

"""Wheels carry the built client: `build_py` runs build.py in a checkout and copies its output
and the demo page into the package (`refiner_server/built/`, which `refiner-server serve`
serves by default: `refiner_server.http.static.PACKAGED`). An sdist carries the build it was made
with, so a wheel made from it needs no npm. Editable installs serve the checkout's `dist/`."""

import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent
BUILT = Path("refiner_server", "built")


def build_client(dest: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--package", str(dest)], cwd=ROOT, check=True
    )


class BuildPyWithClient(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode or (ROOT / BUILT).is_dir():
            return  # the checkout serves dist/; an sdist's build is package data already
        build_client(Path(self.build_lib) / BUILT)


class SdistWithClient(sdist):
    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        build_client(Path(base_dir) / BUILT)


setup(cmdclass={"build_py": BuildPyWithClient, "sdist": SdistWithClient})

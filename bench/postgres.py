"""A throwaway PostgreSQL cluster on 127.0.0.1, for the server tests and the benchmark.

`initdb` into a fresh temporary directory, `pg_ctl start` on a free port (its unix socket
stays in that directory), trust authentication, `pg_ctl stop -m immediate` and the directory
removed at the end. Binaries come from $PATH or Debian's `/usr/lib/postgresql/<v>/bin`
(`apt-get install postgresql`; `./dev test` installs it). PostgreSQL refuses to run as root,
so under root the cluster runs as the `postgres` user that Debian's package creates.

For the tests `fsync` is off: the cluster is thrown away, and a SIGKILLed *application*
server (what the durability test kills) loses nothing a committed transaction wrote either
way. The benchmark keeps it on (`durable=True`), as a production server would.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

HOST = "127.0.0.1"
SUPERUSER = "postgres"


class Unavailable(RuntimeError):
    """No cluster can be started here; the message says what is missing."""


def binaries() -> Path:
    """The directory holding `initdb`, `pg_ctl` and `postgres`."""
    on_path = shutil.which("pg_ctl")
    candidates = [str(Path(on_path).resolve().parent)] if on_path else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
    for folder in candidates:
        if all(os.access(Path(folder, b), os.X_OK) for b in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    raise Unavailable(
        "PostgreSQL binaries (initdb, pg_ctl) not found on $PATH or in /usr/lib/postgresql/*/bin"
        " (Debian: apt-get install postgresql; or set REFINER_TEST_POSTGRES_URL)"
    )


def _version(folder: str) -> float:
    try:
        return float(Path(folder).parent.name)
    except ValueError:
        return 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Cluster:
    """One running throwaway cluster; `url(db)` names a database in it."""

    def __init__(self, durable: bool = False) -> None:
        self.bin = binaries()
        self.user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                self.user = pwd.getpwnam("postgres")
            except KeyError:
                raise Unavailable(
                    "running as root and there is no `postgres` user to run the cluster as"
                ) from None
        self.root = Path(tempfile.mkdtemp(prefix="refiner-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        if self.user is not None:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        try:
            self._run(
                "initdb",
                "-D",
                self.data,
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            )
            options = (
                f"-c listen_addresses={HOST} -p {self.port} -k {self.root} "
                "-c max_connections=200 -c shared_buffers=128MB"
            )
            if not durable:
                options += " -c fsync=off -c full_page_writes=off"
            self._run(
                "pg_ctl",
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                self.data,
                "-o",
                options,
                "-l",
                self.root / "log",
            )
        except (subprocess.CalledProcessError, OSError) as exc:
            log = self.root / "log"
            detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            self._remove()
            raise Unavailable(f"could not start PostgreSQL: {exc}\n{detail}") from None

    def _run(self, tool: str, *args: object) -> None:
        cmd = [str(self.bin / tool), *map(str, args)]
        if self.user is not None:
            cmd = ["runuser", "-u", self.user.pw_name, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, cwd=self.root, timeout=120)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@{HOST}:{self.port}/{database}"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "stop", "-D", self.data, "-m", "immediate", "-w")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pass  # already gone; the directory goes all the same
        self._remove()

    def _remove(self) -> None:
        for _ in range(3):
            shutil.rmtree(self.root, ignore_errors=True)
            if not self.root.exists():
                return
            time.sleep(0.2)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

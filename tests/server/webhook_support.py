"""Shared by the webhook tests: an app that allows private targets and runs no worker of
its own, and a worker run in a thread until a condition holds."""

from __future__ import annotations

import asyncio
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from refiner_server.app import create_app
from refiner_server.projects import create_project, import_surveys
from refiner_server.webhooks.settings import WebhookSettings
from refiner_server.webhooks.worker import Worker

from .admin_support import ADMIN, NPS

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def make_app(db_url: str, deliver: bool = False, allow_private: bool = True) -> Any:
    app = create_app(db_url, webhooks=WebhookSettings(allow_private, deliver))
    create_project(app.state.engine, "p1", name="Open project")
    import_surveys(app.state.engine, "p1", [NPS])
    return app


def hooks_url(project: str = "p1") -> str:
    return f"{ADMIN}/projects/{project}/webhooks"


def add_endpoint(client: TestClient, headers: dict[str, str], url: str, **fields: Any) -> dict:
    r = client.post(hooks_url(), json={"url": url, **fields}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def worker(app: Any, **options: Any) -> Worker:
    """A worker over the app's database, quick to retry."""
    options.setdefault("retry_base_s", 0.05)
    options.setdefault("poll_s", 0.02)
    return Worker(app.state.admin_engine, allow_private=True, **options)


@contextmanager
def running(*workers: Worker) -> Iterator[None]:
    """The workers deliver in a thread of their own (an event loop each) during the block."""
    loops: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
    ready = threading.Barrier(len(workers) + 1)

    def serve(w: Worker) -> None:
        async def main() -> None:
            stop = asyncio.Event()
            loops.append((asyncio.get_running_loop(), stop))
            ready.wait()
            await w.run(stop)

        asyncio.run(main())

    threads = [threading.Thread(target=serve, args=(w,), daemon=True) for w in workers]
    for t in threads:
        t.start()
    ready.wait()
    try:
        yield
    finally:
        for loop, stop in loops:
            loop.call_soon_threadsafe(stop.set)
        for t in threads:
            t.join(30)


def wait(condition: Callable[[], bool], timeout_s: float = 60) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False

"""Suite-wide order: browser tests last.

Playwright's sync API leaves an asyncio loop running in the main thread once it has started,
which breaks anything after it that starts a loop of its own (FastAPI's TestClient, for one).
Running tests/e2e last keeps unit and server tests independent of the browser tests.
"""

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: "e2e" in item.path.parts)

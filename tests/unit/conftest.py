"""Fixtures over the doubles in twin.py: a clock the test moves, timers the test fires, and a
server answer per request that the test decides."""

import pytest

from refiner_web.client import Client
from tests.unit.twin import FakePlatform, View


@pytest.fixture
def platform():
    return FakePlatform()


@pytest.fixture
def make_client(platform):
    def make(*calls, boot=True):
        client = Client(platform, "http://api.test", View)
        for call in calls:
            client.dispatch(list(call))
        if boot:
            client.finish_boot()
        return client

    return make

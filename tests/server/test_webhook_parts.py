"""The pure parts of webhooks: which targets are allowed (before and after DNS), the
bounded body, the Slack text, the retry schedule."""

from __future__ import annotations

import asyncio
import ipaddress
import json
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from refiner_server.webhooks import payloads, slack
from refiner_server.webhooks.targets import UnsafeTarget, check_url, is_public, pinned_url, resolve
from refiner_server.webhooks.worker import backoff

AT = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # shared (carrier NAT)
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fd00:ec2::254",  # AWS metadata over IPv6 (unique local)
        "fe80::1",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
    ],
)
def test_private_addresses_are_not_public(address):
    assert not is_public(ipaddress.ip_address(address))


def test_public_addresses_are():
    assert is_public(ipaddress.ip_address("93.184.216.34"))
    assert is_public(ipaddress.ip_address("2606:4700::1111"))


def test_a_name_that_resolves_to_loopback_is_refused_after_dns():
    # `localhost` comes from /etc/hosts: no traffic leaves the machine
    parts = urlsplit("https://localhost:8443/hook")
    with pytest.raises(UnsafeTarget, match="resolves to .*not a public address"):
        asyncio.run(resolve(parts, allow_private=False))
    assert asyncio.run(resolve(parts, allow_private=True)) in ("127.0.0.1", "::1")


def test_urls_allowed_by_the_flag_only():
    for url in ("http://127.0.0.1:8000/x", "https://10.0.0.5/x", "https://svc.internal/x"):
        with pytest.raises(UnsafeTarget):
            check_url(url, allow_private=False)
        check_url(url, allow_private=True)
    for url in ("ftp://example.com/x", "https://user:pw@example.com/", "https:///x"):
        with pytest.raises(UnsafeTarget):
            check_url(url, allow_private=True)


def test_the_request_goes_to_the_checked_address():
    parts = urlsplit("https://hooks.example.com:8443/in?x=1")
    assert pinned_url(parts, "203.0.113.7") == "https://203.0.113.7:8443/in?x=1"
    assert pinned_url(urlsplit("https://h.example/a"), "2001:db8::1") == "https://[2001:db8::1]/a"


def _response_data(answer: str) -> dict:
    return {
        "project_id": "p1",
        "survey": {"id": "nps", "name": "NPS", "version": 1},
        "response": {
            "id": "resp-1",
            "answers": {"why": {"title": "Why?", "value": answer}},
            "hidden_fields": {"plan": "pro"},
            "page_url": None,
        },
        "person": {"user_id": None, "email": None},
    }


def test_a_body_beyond_the_bound_goes_without_answers_marked_truncated():
    small = json.loads(payloads.envelope("response.completed", AT, _response_data("ok")))
    assert small["data"]["response"]["answers"]["why"]["value"] == "ok"
    assert "truncated" not in small["data"]["response"]
    big = payloads.envelope("response.completed", AT, _response_data("é" * payloads.MAX_BODY_BYTES))
    assert len(big) <= payloads.MAX_BODY_BYTES
    response = json.loads(big)["data"]["response"]
    assert response["truncated"] is True and response["answers"] == {}
    assert response["id"] == "resp-1"


def test_slack_text_is_escaped_and_cut():
    text = json.loads(slack.message(_response_data("<@U123> " + "x" * 5000)))["text"]
    assert "&lt;@U123&gt;" in text and "<@" not in text
    assert len(text) <= slack.MAX_TEXT_CHARS


def test_backoff_doubles_with_jitter_up_to_the_cap():
    for attempts in range(1, 30):
        nominal = min(5 * 2 ** (attempts - 1), 3600)
        assert 0.75 * nominal <= backoff(attempts) <= 1.25 * nominal
    assert len({backoff(3) for _ in range(20)}) > 1  # jittered

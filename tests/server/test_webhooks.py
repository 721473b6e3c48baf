"""Webhooks end to end on SQLite and PostgreSQL: a real receiver on 127.0.0.1, real
workers, the admin API. Signatures are checked with the `standardwebhooks` package, as a
receiver would."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

from bench.webhook_receiver import Receiver
from refiner_server.db import utcnow
from refiner_server.webhooks.tables import webhook_deliveries, webhook_endpoints

from .admin_support import CLIENT, auth
from .webhook_support import add_endpoint, hooks_url, make_app, running, wait, worker

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def app(db_url: str) -> Any:
    return make_app(db_url)


@pytest.fixture
def client(app: Any) -> TestClient:
    return TestClient(app)  # no lifespan: the tests run their own workers


@pytest.fixture
def h(app: Any) -> dict[str, str]:
    return auth(app.state.admin_engine)


@pytest.fixture
def receiver() -> Any:
    with Receiver() as r:
        yield r


def complete(client: TestClient, response_id: str, **extra: Any) -> None:
    body = {
        "form_id": "nps",
        "anonymous_id": "anon-" + response_id,
        "answers": {"score": 9, "why": "fast"},
        "data": {"plan": "pro"},
        "completed": True,
        "locale": "fr",
        "page_url": "https://app.example/settings",
        **extra,
    }
    r = client.put(f"{CLIENT}/p1/responses/{response_id}", json=body)
    assert r.status_code == 200, r.text


def log(client: TestClient, h: dict[str, str], endpoint_id: str, **params: Any) -> list[dict]:
    r = client.get(f"{hooks_url()}/{endpoint_id}/deliveries", params=params, headers=h)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_completed_response_arrives_signed_with_the_documented_payload(app, client, h, receiver):
    made = add_endpoint(client, h, receiver.url)
    assert made["secret"].startswith("whsec_") and made["events"] == [
        "response.completed",
        "response.updated",
        "survey.dismissed",
        "contact.identified",
    ]
    client.post(
        f"{CLIENT}/p1/ping",
        json={
            "anonymous_id": "anon-resp-001",
            "user": {
                "id": "user-0001",
                "email": "ada@example.com",
                "traits": {"plan": "pro", "seats": 3},
                "account": {"id": "acme", "name": "Acme", "traits": {"tier": "gold"}},
            },
        },
    )
    complete(client, "resp-001", user_id="user-0001")
    with running(worker(app)):
        assert receiver.wait_for(lambda got: len(got) == 2)
    identified, completed = receiver.received
    hook = Webhook(made["secret"])
    for message in receiver.received:
        hook.verify(message.body, message.headers)  # raises when the signature is wrong
    assert identified.json()["type"] == "contact.identified"
    payload = hook.verify(completed.body, completed.headers)
    assert payload["type"] == "response.completed"
    data = payload["data"]
    assert data["survey"] == {"id": "nps", "name": "NPS", "version": 1}
    assert data["response"]["answers"] == {
        "score": {"title": "How likely?", "value": 9},
        "why": {"title": "Why?", "value": "fast"},
    }
    assert data["response"]["hidden_fields"] == {"plan": "pro"}
    assert (data["response"]["locale"], data["response"]["page_url"]) == (
        "fr",
        "https://app.example/settings",
    )
    assert data["response"]["completed"] is True and data["response"]["id"] == "resp-001"
    assert data["person"] == {
        "user_id": "user-0001",
        "email": "ada@example.com",
        "name": None,
        "traits": {"plan": "pro", "seats": 3},
        "account": {"id": "acme", "name": "Acme", "traits": {"tier": "gold"}},
    }
    entries = log(client, h, made["id"])
    assert [e["message_id"] for e in entries] == [completed.id, identified.id]  # newest first
    assert all(e["status"] == "delivered" and e["last_status_code"] == 200 for e in entries)
    assert all(
        e["last_latency_ms"] >= 0 and e["response_excerpt"] == '{"ok":true}' for e in entries
    )
    assert completed.headers["content-type"] == "application/json"


def test_each_event_once_and_only_to_endpoints_that_take_it(app, client, h, receiver):
    everything = add_endpoint(client, h, receiver.url + "/all")
    add_endpoint(client, h, receiver.url + "/done", events=["response.completed"])
    complete(client, "resp-001", completed=False)  # response.updated
    complete(client, "resp-001", completed=False)  # the same save again: no change, no message
    complete(client, "resp-001")  # response.completed
    complete(client, "resp-001")  # a retry of the completion: nothing new
    r = client.post(
        f"{CLIENT}/p1/dismissals",
        json={"dismissal_id": "dismiss-1", "form_id": "nps", "anonymous_id": "anon-xxxx"},
    )
    assert r.status_code == 202
    client.post(
        f"{CLIENT}/p1/dismissals",
        json={"dismissal_id": "dismiss-1", "form_id": "nps", "anonymous_id": "anon-xxxx"},
    )
    for _ in range(2):  # identified once, then settled
        client.post(
            f"{CLIENT}/p1/ping", json={"anonymous_id": "anon-xxxx", "user": {"id": "user-0009"}}
        )
    with running(worker(app)):
        assert receiver.wait_for(lambda got: len(got) == 5), [
            (m.path, m.json()["type"]) for m in receiver.received
        ]
        wait(lambda: False, 0.3)  # nothing more comes
    by_path: dict[str, list[str]] = {}
    for m in receiver.received:
        by_path.setdefault(m.path, []).append(m.json()["type"])
    assert by_path == {
        "/hook/all": [
            "response.updated",
            "response.completed",
            "survey.dismissed",
            "contact.identified",
        ],
        "/hook/done": ["response.completed"],
    }
    dismissed = [m.json() for m in receiver.received if m.json()["type"] == "survey.dismissed"][0]
    assert dismissed["data"]["dismissal"]["id"] == "dismiss-1"
    assert dismissed["data"]["survey"]["id"] == "nps"
    assert len(log(client, h, everything["id"])) == 4


def test_failures_retry_in_order_with_the_same_id(app, client, h):
    # the first message fails twice; the ones behind it wait, then all arrive in order
    def answer(message_id: str, seen: int) -> tuple[int, bytes]:
        first = receiver.received[0].id
        return (500, b"try later") if message_id == first and seen < 2 else (200, b"ok")

    with Receiver(answer) as receiver:
        made = add_endpoint(client, h, receiver.url, events=["response.completed"])
        for i in range(5):
            complete(client, f"resp-{i:03d}")
        with running(worker(app)):
            assert receiver.wait_for(lambda got: len(got) == 7)
        ids = [m.id for m in receiver.received]
        assert ids[0] == ids[1] == ids[2]  # retried, same webhook-id
        order = [m.json()["data"]["response"]["id"] for m in receiver.received[2:]]
        assert order == [f"resp-{i:03d}" for i in range(5)]
    entries = log(client, h, made["id"])
    first = entries[-1]
    assert first["attempts"] == 3 and first["status"] == "delivered"
    assert {e["status"] for e in entries} == {"delivered"}


def test_a_redirect_is_a_failure_and_is_not_followed(app, client, h):
    with Receiver(lambda _id, _seen: (302, b"")) as receiver:
        made = add_endpoint(client, h, receiver.url, events=["response.completed"])
        complete(client, "resp-001")
        w = worker(app, retry_base_s=3600)
        with running(w):
            assert wait(lambda: log(client, h, made["id"])[0]["attempts"] == 1)
        assert len(receiver.received) == 1  # the Location (port 9) was never asked
    entry = log(client, h, made["id"])[0]
    assert (entry["status"], entry["last_status_code"], entry["last_error"]) == (
        "pending",
        302,
        "HTTP 302",
    )
    assert entry["next_attempt_at"] is not None


def test_24_hours_of_failure_disable_the_endpoint_and_enabling_sends_what_waited(app, client, h):
    healthy = False

    def answer(_id: str, _seen: int) -> tuple[int, bytes]:
        return (200, b"ok") if healthy else (503, b"down")

    with Receiver(answer) as receiver:
        made = add_endpoint(client, h, receiver.url, events=["response.completed"])
        complete(client, "resp-001")
        complete(client, "resp-002")
        # the first message's 24 h are almost over: its next retry would fall beyond them
        engine = app.state.admin_engine
        with engine.begin() as conn:
            first = conn.execute(sa.select(sa.func.min(webhook_deliveries.c.pk))).scalar_one()
            conn.execute(
                webhook_deliveries.update().where(webhook_deliveries.c.pk == first),
                {"expires_at": utcnow()},
            )
        with running(worker(app, retry_base_s=60)):
            assert wait(
                lambda: not client.get(f"{hooks_url()}/{made['id']}", headers=h).json()["enabled"]
            )
        endpoint = client.get(f"{hooks_url()}/{made['id']}", headers=h).json()
        assert endpoint["disabled_reason"].startswith("message msg_")
        assert "HTTP 503" in endpoint["disabled_reason"]
        assert (endpoint["failed"], endpoint["pending"]) == (1, 1)  # r2 kept, not lost
        healthy = True
        r = client.patch(f"{hooks_url()}/{made['id']}", json={"enabled": True}, headers=h)
        assert r.json()["enabled"] and r.json()["disabled_reason"] is None
        r = client.post(f"{hooks_url()}/{made['id']}/redeliver-failed", headers=h)
        assert r.json() == {"queued": 1}
        want = ["resp-001", "resp-002"]
        with running(worker(app)):
            assert receiver.wait_for(
                lambda got: [m.json()["data"]["response"]["id"] for m in got[-2:]] == want
            )
    assert {e["status"] for e in log(client, h, made["id"])} == {"delivered"}


def test_redeliver_one_and_a_test_send(app, client, h, receiver):
    made = add_endpoint(client, h, receiver.url, events=["response.completed"])
    complete(client, "resp-001")
    r = client.post(f"{hooks_url()}/{made['id']}/test", headers=h)
    assert r.status_code == 202
    test_id = r.json()["message_id"]
    with running(worker(app)):
        assert receiver.wait_for(lambda got: len(got) == 2)
        entry = log(client, h, made["id"], status="delivered")[-1]
        r = client.post(f"{hooks_url()}/{made['id']}/deliveries/{entry['id']}/redeliver", headers=h)
        assert r.status_code == 202 and r.json() == {"queued": 1}
        assert receiver.wait_for(lambda got: len(got) == 3)
    first, test, again = receiver.received
    assert test.id == test_id and test.json()["type"] == "webhook.test"
    assert again.id == first.id and again.body == first.body  # same message, same id
    one = client.get(f"{hooks_url()}/{made['id']}/deliveries/{entry['id']}", headers=h).json()
    assert json.loads(one["body"])["type"] == "response.completed"


def test_secret_rotation_signs_with_both_secrets_for_a_while(app, client, h, receiver):
    made = add_endpoint(client, h, receiver.url, events=["response.completed"])
    r = client.post(f"{hooks_url()}/{made['id']}/rotate-secret", headers=h)
    rotated = r.json()
    assert rotated["previous_secret"] == made["secret"] and rotated["secret"] != made["secret"]
    assert rotated["previous_until"] is not None
    complete(client, "resp-001")
    with running(worker(app)):
        assert receiver.wait_for(lambda got: len(got) == 1)
    message = receiver.received[0]
    assert len(message.headers["webhook-signature"].split(" ")) == 2
    for secret in (made["secret"], rotated["secret"]):
        Webhook(secret).verify(message.body, message.headers)
    secret = client.get(f"{hooks_url()}/{made['id']}/secret", headers=h).json()
    assert secret == rotated


def test_two_workers_deliver_each_message_once_in_order(app, client, h, receiver):
    made = [
        add_endpoint(client, h, f"{receiver.url}/{n}", events=["response.completed"])
        for n in range(3)
    ]
    for i in range(40):
        complete(client, f"resp-{i:03d}")
    with running(worker(app), worker(app)):
        assert receiver.wait_for(lambda got: len(got) == 120)
        wait(lambda: False, 0.3)
    assert len(receiver.received) == 120  # no duplicates: one claimant per endpoint
    for n in range(3):
        got = [
            m.json()["data"]["response"]["id"]
            for m in receiver.received
            if m.path.endswith(f"/{n}")
        ]
        assert got == [f"resp-{i:03d}" for i in range(40)]
    for e in made:
        assert client.get(f"{hooks_url()}/{e['id']}", headers=h).json()["delivered"] == 40


def test_the_slack_variant_posts_a_readable_message(app, client, h, receiver):
    made = add_endpoint(client, h, receiver.url, format="slack")
    assert made["events"] == ["response.completed"]
    complete(client, "resp-001", answers={"score": 9, "why": "<!channel> & more"})
    with running(worker(app)):
        assert receiver.wait_for(lambda got: len(got) == 1)
    text = receiver.received[0].json()["text"]
    assert text.startswith("*New response to NPS* from an anonymous visitor")
    assert "• *Why?*: &lt;!channel&gt; &amp; more" in text  # no mention, no link
    r = client.post(
        hooks_url(),
        json={"url": receiver.url, "format": "slack", "events": ["survey.dismissed"]},
        headers=h,
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_webhook"


def test_private_targets_are_refused_without_the_flag(db_url):
    app = make_app(db_url, allow_private=False)
    client, h = TestClient(app), auth(app.state.admin_engine)
    for url in (
        "http://hooks.example.com/x",  # not https
        "https://127.0.0.1/x",
        "https://10.1.2.3/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/x",
        "https://localhost/x",
        "https://db.internal/x",
        "https://user:pw@hooks.example.com/x",
    ):
        r = client.post(hooks_url(), json={"url": url}, headers=h)
        assert r.status_code == 422, url
        assert r.json()["error"]["code"] == "invalid_webhook", url
    r = client.post(hooks_url(), json={"url": "https://hooks.example.com/x"}, headers=h)
    assert r.status_code == 201


def test_the_admin_routes_need_a_token_and_name_what_is_missing(app, client, h):
    assert client.get(hooks_url()).status_code == 401
    assert client.get(hooks_url("nope"), headers=h).status_code == 404
    assert client.get(f"{hooks_url()}/ep_missing", headers=h).status_code == 404
    r = client.post(
        hooks_url(), json={"url": "http://127.0.0.1:1/x", "events": ["nope"]}, headers=h
    )
    assert r.status_code == 422
    made = add_endpoint(client, h, "http://127.0.0.1:1/x")
    assert "secret" not in client.get(f"{hooks_url()}/{made['id']}", headers=h).json()
    assert client.delete(f"{hooks_url()}/{made['id']}", headers=h).status_code == 204
    with app.state.admin_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(webhook_endpoints)).scalar() == 0


def test_the_server_process_delivers_from_its_lifespan(db_url, receiver):
    app = make_app(db_url, deliver=True)
    with TestClient(app) as client:
        add_endpoint(client, auth(app.state.admin_engine), receiver.url)
        complete(client, "resp-001")
        assert receiver.wait_for(lambda got: len(got) == 1)
    assert receiver.received[0].json()["type"] == "response.completed"

"""The audit log (issue 18): every change made through the admin API and the dashboard is a
row naming who (a person or a token), the project, the action, the subject and a small
detail; owners read it on a page filtered by survey and through the admin API."""

from __future__ import annotations

from refiner_server.team.tables import audit_log
from refiner_server.tokens import create_token

from .admin_support import ADMIN, NPS
from .team_support import SAME_ORIGIN, cheap_passwords, cookie_of, person


def test_changes_through_the_admin_api_are_logged_with_their_token(client, db, engine):
    _, raw = create_token(engine, "deploy")
    h = {"Authorization": f"Bearer {raw}"}
    base = f"{ADMIN}/projects/p1"
    assert client.post(f"{base}/surveys", json=NPS, headers=h).status_code == 201
    changed = dict(NPS, name="NPS v2")
    assert client.put(f"{base}/surveys/nps", json=changed, headers=h).status_code == 200
    assert client.post(f"{base}/surveys/nps/pause", headers=h).status_code == 200
    assert client.get(f"{base}/surveys/nps", headers=h).status_code == 200  # a read: no row
    r = client.patch(base, json={"name": "Renamed", "rotate_secret": True}, headers=h)
    assert r.status_code == 200
    hook = {"url": "https://hooks.example.com/x", "description": "ci"}
    made = client.post(f"{base}/webhooks", json=hook, headers=h).json()
    assert client.delete(f"{base}/surveys/nps", headers=h).status_code == 204
    rows = db.rows(audit_log)
    assert [(r["action"], r["subject"]) for r in rows] == [
        ("survey.created", "survey:nps"),
        ("survey.updated", "survey:nps"),
        ("survey.paused", "survey:nps"),
        ("project.updated", "project:p1"),
        ("webhook.created", "webhook:" + made["id"]),
        ("survey.deleted", "survey:nps"),
    ]
    assert {(r["actor_kind"], r["actor_name"], r["project_id"]) for r in rows} == {
        ("token", "token deploy", "p1")
    }
    assert rows[1]["detail"] == {"version": 2, "status": "live", "previous_version": 1}
    assert rows[3]["detail"] == {"name": "Renamed", "secret": "(changed)"}  # never the secret
    assert made["secret"] not in str(rows)

    log = client.get(f"{base}/audit", params={"survey": "nps"}, headers=h).json()
    assert [e["action"] for e in log] == [
        "survey.deleted",
        "survey.paused",
        "survey.updated",
        "survey.created",
    ]
    assert log[0]["actor"]["name"] == "token deploy"
    page = client.get(f"{base}/audit", params={"before": log[1]["id"], "limit": 1}, headers=h)
    assert [e["action"] for e in page.json()] == ["survey.updated"]


def test_changes_through_the_dashboard_are_logged_with_their_person(app, client, db):
    cheap_passwords(app)
    ada = person(app, "ada@example.com", p1="owner")
    client.cookies.update(cookie_of(app, user_id=ada))
    r = client.post(
        "/admin/projects/p1/surveys/live-one/status", data={"status": "paused"}, headers=SAME_ORIGIN
    )
    assert r.status_code == 200
    r = client.post("/admin/projects/p1/keys", data={"name": "billing"}, headers=SAME_ORIGIN)
    assert r.status_code == 201
    key_id = db.rows(audit_log)[1]["subject"].removeprefix("key:")
    r = client.post(f"/admin/projects/p1/keys/{key_id}/revoke", headers=SAME_ORIGIN)
    assert r.status_code == 200
    rows = db.rows(audit_log)
    assert [(r["action"], r["actor_kind"], r["actor_id"]) for r in rows] == [
        ("survey.paused", "user", ada),
        ("key.created", "user", ada),
        ("key.revoked", "user", ada),
    ]
    assert rows[1]["detail"] == {"name": "billing", "prefix": "rfs_" + key_id}
    page = client.get("/admin/projects/p1/audit", params={"survey": "live-one"})
    assert page.status_code == 200
    assert page.text.count('<th scope="row">') == 1 and "survey.paused" in page.text
    assert "<td>ada@example.com</td>" in page.text and "key.created" not in page.text
    everything = client.get("/admin/projects/p1/audit")
    assert "key.revoked" in everything.text

"""The app boots, the demo survey loads, the OpenAPI document lists the client API."""

from refiner_server.db import projects
from refiner_server.projects import demo_survey, ensure_demo


def test_openapi_lists_client_endpoints(client):
    doc = client.get("/openapi.json").json()
    paths = doc["paths"]
    for name in ("ping", "events", "views", "dismissals"):
        assert "post" in paths[f"/api/v1/client/{{project}}/{name}"]
    assert "put" in paths["/api/v1/client/{project}/responses/{response_id}"]


def test_demo_survey_follows_design(engine, db, client):
    survey = demo_survey()
    assert survey["id"] == "demo-nps" and survey["status"] == "live"
    assert survey["trigger"] == {"type": "manual"}
    assert [q["type"] for q in survey["questions"]] == ["nps", "text", "single_choice", "rating"]
    ensure_demo(engine)
    ensure_demo(engine)  # idempotent
    assert [p["id"] for p in db.rows(projects, projects.c.id == "demo")] == ["demo"]
    forms = client.post("/api/v1/client/demo/ping", json={"anonymous_id": "a" * 16}).json()
    assert [f["id"] for f in forms["forms"]] == ["demo-nps"]

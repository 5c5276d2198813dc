"""Task extensions over HTTP: POST /tasks/{id}/extensions, /extensions, approve and refuse; errors as problem+json."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.web.api_client import as_user, work

NOISE = {"category": "noise", "location": "sjm-duntou-g1", "description": "楼上装修噪音扰民"}
PROBLEM = "application/problem+json"
T0 = datetime(2025, 6, 4, 2, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Shanghai
DUE = T0 + timedelta(hours=24)  # the street squad's on-site handling: 24 hours


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def street_task(app) -> int:
    """An open task at Shenjiamen's street squad, due in 24 hours."""
    case = as_user(app, "sjm-police").post("/cases", json={"process_id": "diversion", "data": NOISE}).get_json()
    case = work(app, case["open_tasks"][0]["id"], "city-dispatcher", {"city_dispatch_note": "转区级"})
    case = work(app, case["open_tasks"][0]["id"], "pt-dispatcher", {"district_dispatch_note": "转沈家门"})
    task = case["open_tasks"][0]
    assert (task["agency_code"], task["due_at"]) == ("sjm-squad", DUE.isoformat())
    return task["id"]


def problem(response, status: int) -> dict:
    assert (response.status_code, response.content_type) == (status, PROBLEM), response.get_json()
    body = response.get_json()
    assert body["status"] == status and body["detail"]
    return body


def ask(app, task_id: int, username: str = "sjm-squad", **body):
    return as_user(app, username).post(f"/tasks/{task_id}/extensions", json={"reason": "当事人外出", **body})


def test_a_request_approved_above_moves_the_deadline(app, demo, clock):
    task_id = street_task(app)
    squad, supervisor = as_user(app, "sjm-squad"), as_user(app, "sjm-supervisor")

    response = ask(app, task_id, extra="2 working days")

    assert response.status_code == 201, response.get_json()
    asked = response.get_json()
    monday = datetime(2025, 6, 9, 2, 0, tzinfo=UTC)
    assert {key: asked[key] for key in ("task_id", "status", "requested_by", "decider_agency_code",
                                        "previous_due_at", "requested_due_at")} == {
        "task_id": task_id, "status": "pending", "requested_by": "sjm-squad", "decider_agency_code": "shenjiamen",
        "previous_due_at": DUE.isoformat(), "requested_due_at": monday.isoformat()}
    pending = supervisor.get("/extensions?status=pending").get_json()
    assert (pending["total"], [item["id"] for item in pending["items"]]) == (1, [asked["id"]])
    assert squad.get(f"/extensions/{asked['id']}").get_json() == asked

    approved = supervisor.post(f"/extensions/{asked['id']}/approve", json={"note": "同意延期"})

    assert approved.status_code == 200, approved.get_json()
    assert (approved.get_json()["status"], approved.get_json()["decided_by"]) == ("approved", "sjm-supervisor")
    assert squad.get(f"/tasks/{task_id}").get_json()["due_at"] == monday.isoformat()
    timeline = squad.get(f"/cases/{asked['case_id']}/timeline").get_json()
    assert [(e["event"], e["actor"]) for e in timeline[-2:]] == [
        ("extension_requested", "sjm-squad"), ("extension_approved", "sjm-supervisor")]
    assert supervisor.get("/extensions?status=pending").get_json()["total"] == 0


def test_a_refusal_keeps_the_deadline_and_approval_needs_no_body(app, demo, clock):
    task_id = street_task(app)
    first = ask(app, task_id, until=(DUE + timedelta(days=2)).isoformat()).get_json()
    refused = as_user(app, "pt-supervisor").post(f"/extensions/{first['id']}/refuse", json={"note": "请按期办结"})
    assert refused.status_code == 200, refused.get_json()
    assert (refused.get_json()["status"], refused.get_json()["decision_note"]) == ("refused", "请按期办结")
    assert as_user(app, "sjm-squad").get(f"/tasks/{task_id}").get_json()["due_at"] == DUE.isoformat()

    second = ask(app, task_id, until="2025-06-06T17:30:00+08:00").get_json()
    approved = as_user(app, "city-supervisor").post(f"/extensions/{second['id']}/approve")
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["requested_due_at"] == "2025-06-06T09:30:00+00:00"


def test_who_may_ask_and_who_may_decide(app, demo, clock):
    task_id = street_task(app)
    assert problem(ask(app, task_id, "dg-squad", extra="1 days"), 404)["detail"] == f"task {task_id} does not exist"
    extension = ask(app, task_id, extra="1 days").get_json()["id"]
    url = f"/extensions/{extension}/approve"

    assert "only a supervisor of 沈家门街道" in problem(as_user(app, "sjm-squad").post(url), 403)["detail"]
    assert problem(as_user(app, "dg-supervisor").post(url), 404)["detail"] == f"extension {extension} does not exist"
    problem(as_user(app, "dg-squad").get(f"/extensions/{extension}"), 404)
    problem(as_user(app, None).post(url), 401)
    assert as_user(app, "dg-supervisor").get("/extensions").get_json()["items"] == []
    assert as_user(app, "pt-supervisor").post(url, json={}).status_code == 200


def test_bad_input_is_a_4xx_that_says_what_to_fix(app, demo, clock):
    task_id = street_task(app)
    squad = as_user(app, "sjm-squad")
    url = f"/tasks/{task_id}/extensions"

    assert set(problem(squad.post(url, json={"extra": "1 days"}), 422)["errors"]) == {"reason"}
    assert problem(squad.post(url, json={"reason": "  ", "extra": "1 days"}), 422)["errors"] == {"reason": ["required"]}
    both = {"reason": "等", "extra": "1 days", "until": (DUE + timedelta(days=1)).isoformat()}
    assert set(problem(squad.post(url, json=both), 422)["errors"]) == {"until", "extra"}
    assert set(problem(squad.post(url, json={"reason": "等"}), 422)["errors"]) == {"until", "extra"}
    assert set(problem(ask(app, task_id, until="2025-06-07T10:00:00"), 422)["errors"]) == {"until"}  # no offset
    assert "later than the current one" in problem(ask(app, task_id, until=T0.isoformat()), 422)["detail"]
    assert "later than the current one" in problem(ask(app, task_id, until="2024-01-01T00:00:00Z"), 422)["detail"]
    assert problem(ask(app, task_id, extra="soon"), 422)["errors"] == {
        "extra": ["not a deadline such as '2 working days'"]}
    assert problem(ask(app, task_id, extra="1 fortnight"), 422)["detail"].startswith("deadline '1 fortnight'")
    problem(ask(app, 999999, extra="1 days"), 404)

    extension = ask(app, task_id, extra="1 days").get_json()["id"]
    assert "already has an extension request" in problem(ask(app, task_id, extra="2 days"), 409)["detail"]
    supervisor = as_user(app, "sjm-supervisor")
    assert set(problem(supervisor.post(f"/extensions/{extension}/refuse", json={}), 422)["errors"]) == {"note"}
    assert problem(supervisor.post(f"/extensions/{extension}/refuse", json={"note": " "}), 422)["errors"] == {
        "note": ["required"]}
    problem(supervisor.post("/extensions/999999/approve"), 404)
    problem(supervisor.get("/extensions/999999"), 404)
    assert set(problem(supervisor.get("/extensions?status=lost"), 422)["errors"]) == {"status"}

    assert supervisor.post(f"/extensions/{extension}/approve").status_code == 200
    assert "already approved" in problem(supervisor.post(f"/extensions/{extension}/approve"), 409)["detail"]
    assert "already approved" in problem(supervisor.post(f"/extensions/{extension}/refuse", json={"note": "不"}),
                                         409)["detail"]


def test_the_openapi_document_describes_extensions(app):
    paths = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/tasks/{task_id}/extensions"]) == {"post", "parameters"}
    assert {"/api/v1/extensions", "/api/v1/extensions/{extension_id}", "/api/v1/extensions/{extension_id}/approve",
            "/api/v1/extensions/{extension_id}/refuse"} <= set(paths)
    body = paths["/api/v1/tasks/{task_id}/extensions"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/NewExtension")

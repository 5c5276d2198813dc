"""Reassigning a task over HTTP: POST /api/v1/tasks/{task_id}/reassign, errors as problem+json."""

from tests.web.api_client import as_user, work

NOISE = {"category": "noise", "location": "sjm-duntou-g1", "description": "楼上装修噪音扰民"}
PROBLEM = "application/problem+json"


def street_task(app) -> int:
    """An open task at Shenjiamen's street squad."""
    case = as_user(app, "sjm-police").post("/cases", json={"process_id": "diversion", "data": NOISE}).get_json()
    case = work(app, case["open_tasks"][0]["id"], "city-dispatcher", {"city_dispatch_note": "转区级"})
    case = work(app, case["open_tasks"][0]["id"], "pt-dispatcher", {"district_dispatch_note": "转沈家门"})
    assert case["open_tasks"][0]["agency_code"] == "sjm-squad"
    return case["open_tasks"][0]["id"]


def problem(response, status: int) -> dict:
    assert (response.status_code, response.content_type) == (status, PROBLEM), response.get_json()
    body = response.get_json()
    assert body["status"] == status and body["detail"]
    return body


def test_a_supervisor_reassigns_a_task(app, demo):
    task_id = street_task(app)
    assert as_user(app, "sjm-squad").post(f"/tasks/{task_id}/claim").status_code == 200
    supervisor = as_user(app, "sjm-supervisor")

    response = supervisor.post(f"/tasks/{task_id}/reassign", json={"agency": "sjm-office", "reason": "归街道办"})

    assert response.status_code == 200, response.get_json()
    task = response.get_json()
    assert (task["id"], task["agency_code"], task["status"], task["claimed_by"]) == (
        task_id, "sjm-office", "open", None)
    timeline = supervisor.get(f"/cases/{task['case_id']}/timeline").get_json()
    assert timeline[-1]["event"] == "reassigned" and timeline[-1]["actor"] == "sjm-supervisor"
    assert timeline[-1]["data"] == {"from": "sjm-squad", "to": "sjm-office", "reason": "归街道办"}
    office_inbox = as_user(app, "sjm-office").get("/tasks?view=agency").get_json()
    assert [t["id"] for t in office_inbox["items"]] == [task_id]


def test_refusals_are_problem_json(app, demo):
    task_id = street_task(app)
    url = f"/tasks/{task_id}/reassign"
    body = {"agency": "sjm-office", "reason": "归街道办"}
    supervisor = as_user(app, "sjm-supervisor")

    assert as_user(app, None).post(url, json=body).headers["WWW-Authenticate"].startswith("Bearer")
    problem(as_user(app, None).post(url, json=body), 401)
    assert "only a supervisor" in problem(as_user(app, "sjm-squad").post(url, json=body), 403)["detail"]
    assert "outside the area" in problem(supervisor.post(url, json={**body, "agency": "dg-squad"}), 403)["detail"]
    assert problem(as_user(app, "dg-supervisor").post(url, json=body), 404)["detail"] == \
        f"task {task_id} does not exist"
    problem(supervisor.post("/tasks/999999/reassign", json=body), 404)

    assert set(problem(supervisor.post(url, json={"agency": "sjm-office"}), 422)["errors"]) == {"reason"}
    assert problem(supervisor.post(url, json={**body, "reason": "   "}), 422)["errors"] == {"reason": ["required"]}
    unknown = problem(supervisor.post(url, json={**body, "agency": "nowhere"}), 422)
    assert unknown["errors"] == {"agency": ["unknown agency code"]}
    same = problem(supervisor.post(url, json={**body, "agency": "sjm-squad"}), 422)
    assert "already at" in same["detail"] and list(same["errors"]) == ["agency"]

    work(app, task_id, "sjm-squad", {"handling_measures": "上门劝导", "handled_on_site": True})
    assert "already completed" in problem(supervisor.post(url, json=body), 409)["detail"]


def test_the_openapi_document_describes_reassign(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/tasks/{task_id}/reassign"]["post"]
    assert "200" in operation["responses"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert "$ref" in schema or {"agency", "reason"} <= set(schema.get("properties", {}))

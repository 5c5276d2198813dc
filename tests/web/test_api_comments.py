"""Task comments over HTTP: GET and POST /api/v1/tasks/{task_id}/comments, errors as problem+json."""

from engine.comments import MAX_BODY
from tests.web.api_client import as_user

NOISE = {"category": "noise", "location": "sjm-duntou-g1", "description": "楼上装修噪音扰民"}
PROBLEM = "application/problem+json"


def city_task(app) -> dict:
    case = as_user(app, "sjm-police").post("/cases", json={"process_id": "diversion", "data": NOISE}).get_json()
    return case["open_tasks"][0]


def test_comment_on_a_task_and_read_them_back(app, demo):
    task = city_task(app)
    city, police = as_user(app, "city-dispatcher"), as_user(app, "sjm-police")

    created = city.post(f"/tasks/{task['id']}/comments", json={"body": "  已收到，正在核实  "})
    assert created.status_code == 201, created.get_json()
    comment = created.get_json()
    assert set(comment) == {"id", "task_id", "case_id", "author", "body", "created_at"}
    assert (comment["task_id"], comment["case_id"], comment["author"], comment["body"]) == (
        task["id"], task["case_id"], "city-dispatcher", "已收到，正在核实")
    assert police.post(f"/tasks/{task['id']}/comments", json={"body": "报警人又来电"}).status_code == 201

    listed = police.get(f"/tasks/{task['id']}/comments")
    assert listed.status_code == 200
    assert [(c["author"], c["body"]) for c in listed.get_json()] == [
        ("city-dispatcher", "已收到，正在核实"), ("sjm-police", "报警人又来电")]
    assert listed.get_json()[0] == comment


def test_callers_without_credentials_get_401_before_their_input_is_read(app, demo):
    task = city_task(app)
    anonymous = as_user(app, None)
    for response in (anonymous.get(f"/tasks/{task['id']}/comments"),
                     anonymous.post(f"/tasks/{task['id']}/comments", json={"body": "hi"}),
                     anonymous.post(f"/tasks/{task['id']}/comments", json={})):
        assert (response.status_code, response.content_type) == (401, PROBLEM)
        assert response.get_json()["status"] == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    bad_token = app.test_client().get(f"/api/v1/tasks/{task['id']}/comments",
                                      headers={"Authorization": "Bearer gz_nope"})
    assert (bad_token.status_code, bad_token.content_type) == (401, PROBLEM)


def test_a_task_whose_case_you_cannot_see_is_404(app, demo):
    task = city_task(app)
    outsider = as_user(app, "dg-squad")
    for response in (outsider.get(f"/tasks/{task['id']}/comments"),
                     outsider.post(f"/tasks/{task['id']}/comments", json={"body": "能看到吗"})):
        assert (response.status_code, response.content_type) == (404, PROBLEM)
        assert response.get_json()["detail"] == f"task {task['id']} does not exist"
    missing = as_user(app, "admin").get("/tasks/999999/comments")
    assert (missing.status_code, missing.get_json()["detail"]) == (404, "task 999999 does not exist")


def test_a_bad_body_is_422_with_the_field_to_fix(app, demo):
    task = city_task(app)
    city = as_user(app, "city-dispatcher")
    url = f"/tasks/{task['id']}/comments"
    for body in ({}, {"body": 3}, {"body": "   "}, {"body": "字" * (MAX_BODY + 1)}, {"body": "a\x00b"}):
        response = city.post(url, json=body)
        assert (response.status_code, response.content_type) == (422, PROBLEM), body
        problem = response.get_json()
        assert problem["status"] == 422 and list(problem["errors"]) == ["body"], problem
    assert city.get(url).get_json() == []


def test_the_openapi_document_describes_comments(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    operations = spec["paths"]["/api/v1/tasks/{task_id}/comments"]
    assert set(operations) >= {"get", "post"} and "201" in operations["post"]["responses"]

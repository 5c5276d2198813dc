"""User and token administration over HTTP: administrators only, passwords write-only, errors as problem+json."""

import logging
import re

import pytest

from tests.web.api_client import as_user

PROBLEM = "application/problem+json"
PASSWORD = "correct horse battery"
NEW_USER = {"username": "sjm-police-2", "display_name": "沈家门派出所 王警官", "agency_code": "sjm-police",
            "roles": ["staff"], "password": PASSWORD}


def patch(client, path, json):
    return client.client.patch(f"/api/v1{path}", json=json, headers=client.headers)


def problem(response, status: int) -> dict:
    assert (response.status_code, response.content_type) == (status, PROBLEM), response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == status and body["detail"]
    return body


def csrf_token(client, path="/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_an_administrator_creates_a_user_who_then_works_through_a_token_made_over_http(app, demo, caplog):
    caplog.set_level(logging.DEBUG)
    admin = as_user(app, "admin")
    created = admin.post("/users", json=NEW_USER)
    assert created.status_code == 201
    user = created.get_json()
    assert user == {"username": "sjm-police-2", "display_name": "沈家门派出所 王警官", "agency_code": "sjm-police",
                    "agency_name": "沈家门派出所", "roles": ["staff"], "active": True, "has_password": True,
                    "created_at": user["created_at"]}
    assert admin.get("/users/sjm-police-2").get_json() == user

    token = admin.post("/tokens", json={"username": "sjm-police-2", "name": "派出所接警台"})
    assert token.status_code == 201
    issued = token.get_json()
    assert (issued["username"], issued["name"]) == ("sjm-police-2", "派出所接警台")
    assert issued["token"].startswith("gz_")

    bearer = {"Authorization": f"Bearer {issued['token']}"}
    client = app.test_client()
    assert client.get("/api/v1/tasks?view=agency", headers=bearer).status_code == 200
    started = client.post("/api/v1/cases", headers=bearer, json={"process_id": "diversion", "data": {
        "category": "noise", "location": "sjm-duntou-g1", "description": "楼上装修噪音扰民"}})
    assert started.status_code == 201
    timeline = client.get(f"/api/v1/cases/{started.get_json()['id']}/timeline", headers=bearer).get_json()
    assert timeline[0]["actor"] == "sjm-police-2"

    # The listing shows the token but never the secret.
    listed = [t for t in admin.get("/tokens").get_json() if t["created_by"]]  # not the test clients' own
    assert [(t["id"], t["name"], t["username"], t["created_by"], t["active"]) for t in listed] == [
        (issued["id"], "派出所接警台", "sjm-police-2", "admin", True)]
    assert issued["token"] not in admin.get("/tokens").get_data(as_text=True)
    assert not {"token", "token_hash"} & set(listed[0])

    # The password logs in on the pages too.
    browser = app.test_client()
    login = browser.post("/login", data={"username": "sjm-police-2", "password": PASSWORD,
                                         "csrf_token": csrf_token(browser)})
    assert (login.status_code, login.headers["Location"]) == (302, "/")
    assert PASSWORD not in caplog.text


def test_a_revoked_token_stops_at_once(app, demo):
    admin = as_user(app, "admin")
    issued = admin.post("/tokens", json={"username": "sjm-police", "name": "110 接警推送"}).get_json()
    bearer = {"Authorization": f"Bearer {issued['token']}"}
    assert app.test_client().get("/api/v1/tasks?view=mine", headers=bearer).status_code == 200
    revoked = admin.post(f"/tokens/{issued['id']}/revoke")
    assert revoked.status_code == 204 and revoked.data == b""
    problem(app.test_client().get("/api/v1/tasks?view=mine", headers=bearer), 401)
    assert next(t for t in admin.get("/tokens").get_json() if t["id"] == issued["id"])["revoked_at"] is not None
    assert admin.post(f"/tokens/{issued['id']}/revoke").status_code == 204  # again: nothing changes
    assert "999" in problem(admin.post("/tokens/999/revoke"), 404)["detail"]


def test_token_requests_say_what_to_fix(app, demo):
    admin = as_user(app, "admin")
    assert "'nobody' does not exist" in problem(admin.post("/tokens", json={"username": "nobody", "name": "x"}),
                                                404)["detail"]
    assert problem(admin.post("/tokens", json={"username": "sjm-police", "name": "  "}), 422)["errors"] == {
        "name": ["required"]}
    assert set(problem(admin.post("/tokens", json={}), 422)["errors"]) == {"username", "name"}


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/users", None),
    ("POST", "/users", NEW_USER),
    ("POST", "/users", {"username": "X"}),  # invalid too: who asks is judged first
    ("GET", "/users/sjm-police", None),
    ("GET", "/users/nobody", None),  # a user who does not exist: no way to find out
    ("PATCH", "/users/sjm-police", {"roles": ["admin"]}),
    ("PATCH", "/users/sjm-police", {"roles": "admin"}),
    ("GET", "/tokens", None),
    ("POST", "/tokens", {"username": "sjm-police", "name": "x"}),
    ("POST", "/tokens", {}),
    ("POST", "/tokens/1/revoke", None),
])
def test_only_administrators_get_in(app, demo, method, path, body):
    admin = as_user(app, "admin")  # its own token is token 1
    for username, status in ((None, 401), ("sjm-police", 403), ("sjm-supervisor", 403), ("city-supervisor", 403),
                             ("designer", 403)):
        client = as_user(app, username)
        if method == "GET":
            response = client.get(path)
        elif method == "PATCH":
            response = patch(client, path, body)
        else:
            response = client.post(path, json=body)
        body_ = problem(response, status)
        assert "errors" not in body_, (username, body_)
        if status == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        else:
            assert "only active administrators" in body_["detail"]
    assert admin.get("/users/sjm-police").get_json()["roles"] == ["staff"]
    assert admin.get("/users?agency=sjm-police").get_json()["total"] == 1
    tokens = admin.get("/tokens").get_json()
    assert [t["created_by"] for t in tokens] == [None] * 5 and all(t["active"] for t in tokens)


def test_bad_user_input_is_a_422_by_field_that_never_repeats_the_password(app, demo, caplog):
    caplog.set_level(logging.DEBUG)
    admin = as_user(app, "admin")
    short = "tiny-pw"
    body = problem(admin.post("/users", json={"username": "Bad Name", "display_name": " ", "agency_code": "nowhere",
                                              "roles": ["boss"], "password": short}), 422)
    assert set(body["errors"]) == {"username", "display_name", "agency_code", "roles"}
    assert "no agency has this code" in body["errors"]["agency_code"][0]
    body = problem(admin.post("/users", json={**NEW_USER, "password": short}), 422)
    assert body["errors"] == {"password": ["at least 10 characters"]}

    missing = problem(admin.post("/users", json={"username": "abc"}), 422)
    assert set(missing["errors"]) == {"display_name", "agency_code", "roles", "password"}
    wrong_types = problem(admin.post("/users", json={**NEW_USER, "roles": "admin", "password": 1234567890}), 422)
    assert set(wrong_types["errors"]) == {"roles", "password"}
    assert "id" in problem(admin.post("/users", json={**NEW_USER, "id": 7}), 422)["errors"]

    for response in (admin.post("/users", json={**NEW_USER, "password": short}),
                     admin.post("/users", json={**NEW_USER, "password": short * 200}),
                     patch(admin, "/users/sjm-police", {"password": short}),
                     patch(admin, "/users/sjm-police", {"password": 12}),
                     admin.post("/users", json={**NEW_USER, "username": "X", "password": PASSWORD})):
        assert response.status_code == 422
        assert short not in response.get_data(as_text=True) and PASSWORD not in response.get_data(as_text=True)
    assert admin.get("/users?agency=sjm-police").get_json()["total"] == 1
    assert short not in caplog.text and PASSWORD not in caplog.text


def test_a_username_is_taken_once(app, demo):
    admin = as_user(app, "admin")
    assert admin.post("/users", json=NEW_USER).status_code == 201
    assert "already exists" in problem(admin.post("/users", json=NEW_USER), 409)["detail"]
    assert "already exists" in problem(admin.post("/users", json={**NEW_USER, "username": "admin"}), 409)["detail"]


def test_users_are_listed_by_username_and_filtered_by_agency(app, demo):
    admin = as_user(app, "admin")
    first = admin.get("/users?page_size=5").get_json()
    assert (first["total"], first["page"], first["page_size"]) == (31, 1, 5)
    names = [user["username"] for user in admin.get("/users?page_size=100").get_json()["items"]]
    assert names == sorted(names) and [user["username"] for user in first["items"]] == names[:5]
    assert [user["username"] for user in admin.get("/users?page=2&page_size=5").get_json()["items"]] == names[5:10]
    assert not any("password_hash" in user or "password" in user
                   for user in admin.get("/users?page_size=100").get_json()["items"])

    station = admin.get("/users?agency=pt-dispatch").get_json()
    assert [(u["username"], u["agency_name"]) for u in station["items"]] == [
        ("pt-dispatcher", "普陀区社会治理指挥中心")]
    assert problem(admin.get("/users?agency=nowhere"), 422)["errors"] == {
        "agency": ["no agency has this code: see GET /api/v1/agencies"]}
    assert "page_size" in problem(admin.get("/users?page_size=101"), 422)["errors"]
    assert "page" in problem(admin.get("/users?page=0"), 422)["errors"]
    assert "nobody" in problem(admin.get("/users/nobody"), 404)["detail"]


def test_an_administrator_changes_users_and_disabling_stops_their_tokens(app, demo):
    admin = as_user(app, "admin")
    police = as_user(app, "sjm-police")
    assert police.get("/tasks?view=mine").status_code == 200

    changed = patch(admin, "/users/sjm-police", {"display_name": "东港派出所 借调", "agency_code": "dg-police",
                                                 "roles": ["supervisor", "staff"]})
    assert changed.status_code == 200
    assert {k: changed.get_json()[k] for k in ("display_name", "agency_code", "roles", "active")} == {
        "display_name": "东港派出所 借调", "agency_code": "dg-police", "roles": ["staff", "supervisor"],
        "active": True}
    assert patch(admin, "/users/sjm-police", {}).get_json() == changed.get_json()

    disabled = patch(admin, "/users/sjm-police", {"active": False})
    assert disabled.status_code == 200 and disabled.get_json()["active"] is False
    problem(police.get("/tasks?view=mine"), 401)
    assert patch(admin, "/users/sjm-police", {"active": True}).get_json()["active"] is True
    assert police.get("/tasks?view=mine").status_code == 200

    assert patch(admin, "/users/sjm-police", {"password": PASSWORD}).status_code == 200
    login = app.test_client()
    response = login.post("/login", data={"username": "sjm-police", "password": PASSWORD,
                                          "csrf_token": csrf_token(login)})
    assert response.status_code == 302

    problem(patch(admin, "/users/nobody", {"active": False}), 404)
    assert "roles" in problem(patch(admin, "/users/sjm-police", {"roles": []}), 422)["errors"]
    assert "agency_code" in problem(patch(admin, "/users/sjm-police", {"agency_code": "nowhere"}), 422)["errors"]
    assert "username" in problem(patch(admin, "/users/sjm-police", {"username": "renamed"}), 422)["errors"]


def test_administrators_cannot_lock_themselves_out(app, demo):
    admin = as_user(app, "admin")
    body = problem(patch(admin, "/users/admin", {"roles": ["staff"]}), 422)
    assert body["errors"] == {"roles": ["you may not remove your own admin role: ask another administrator"]}
    body = problem(patch(admin, "/users/admin", {"active": False}), 422)
    assert body["errors"] == {"active": ["you may not disable yourself: ask another administrator"]}
    assert admin.get("/users/admin").get_json()["roles"] == ["admin"]
    assert admin.get("/users").status_code == 200

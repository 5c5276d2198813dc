"""The HTTP API as the 110 dispatch system, citizen apps and agency staff use it."""

import io
import re

from tests.engine import samples
from tests.web.api_client import as_user, work

NOISE = {"category": "noise", "location": "sjm-duntou-g1", "description": "楼上装修噪音扰民"}
PROBLEM = "application/problem+json"


def test_a_full_referral_over_http(app, demo):
    police = as_user(app, "sjm-police")
    started = police.post("/cases", json={"process_id": "diversion", "data": NOISE})
    assert started.status_code == 201
    case = started.get_json()
    assert case["open_tasks"][0]["agency_code"] == "zs-dispatch"

    city = as_user(app, "city-dispatcher")
    inbox = city.get("/tasks?view=agency").get_json()
    assert [t["id"] for t in inbox["items"]] == [case["open_tasks"][0]["id"]]
    case = work(app, inbox["items"][0]["id"], "city-dispatcher", {"city_dispatch_note": "转区级"})
    case = work(app, case["open_tasks"][0]["id"], "pt-dispatcher", {"district_dispatch_note": "转沈家门"})
    case = work(app, case["open_tasks"][0]["id"], "sjm-squad", {"handling_measures": "上门劝导",
                                                                "handled_on_site": True})
    case = work(app, case["open_tasks"][0]["id"], "sjm-police", {"handling_result": "resolved",
                                                                 "feedback_summary": "已劝导停工"})
    assert case["open_tasks"][0]["bpmn_id"] == "Task_ReturnVisit"
    case = work(app, case["open_tasks"][0]["id"], "sjm-police", {"satisfied": True, "visit_method": "phone"})
    assert case["status"] == "completed" and case["open_tasks"] == []

    timeline = police.get(f"/cases/{case['id']}/timeline").get_json()
    assert timeline[0]["event"] == "case_started" and timeline[-1]["event"] == "case_completed"
    assert timeline[0]["actor"] == "sjm-police"
    progress = police.get(f"/cases/{case['id']}/progress").get_json()
    assert {"Task_CityDispatch", "Task_ReturnVisit"} <= set(progress["completed"]) and progress["active"] == []
    assert police.get(f"/cases/{case['id']}").get_json()["status"] == "completed"


def test_errors_are_problem_json_that_say_what_to_fix(app, demo):
    police = as_user(app, "sjm-police")
    missing = police.get("/cases/999999")
    assert (missing.status_code, missing.content_type) == (404, PROBLEM)
    assert missing.get_json()["detail"] == "case 999999 does not exist"

    invalid = police.post("/cases", json={"process_id": "diversion"})
    assert invalid.status_code == 422 and invalid.content_type == PROBLEM
    assert "data" in invalid.get_json()["errors"]

    bad_form = police.post("/cases", json={"process_id": "diversion", "data": {"category": "noise"}})
    body = bad_form.get_json()
    assert bad_form.status_code == 422 and {"location", "description"} <= set(body["errors"])

    malformed = police.client.post("/api/v1/cases", data="{not json", headers={
        **police.headers, "Content-Type": "application/json"})
    assert malformed.status_code in (400, 422) and malformed.content_type == PROBLEM

    anonymous = as_user(app, None).get("/cases")
    assert (anonymous.status_code, anonymous.content_type) == (401, PROBLEM)
    assert anonymous.headers.get("WWW-Authenticate", "").startswith("Bearer")
    bad_token = app.test_client().get("/api/v1/cases", headers={"Authorization": "Bearer gz_nope"})
    assert bad_token.status_code == 401

    assert police.get("/tasks?view=everything").status_code == 422
    assert police.get("/no/such/route").content_type == PROBLEM


def test_conflicts_permissions_and_invisible_tasks(app, demo):
    case = as_user(app, "sjm-police").post("/cases", json={"process_id": "diversion", "data": NOISE}).get_json()
    task_id = case["open_tasks"][0]["id"]
    city = as_user(app, "city-dispatcher")
    assert city.post(f"/tasks/{task_id}/claim").status_code == 200

    supervisor = as_user(app, "city-supervisor")
    conflict = supervisor.post(f"/tasks/{task_id}/complete", json={"data": {"city_dispatch_note": "x"}})
    assert conflict.status_code == 409 and "claimed by city-dispatcher" in conflict.get_json()["detail"]
    # The police station started the case: it sees the task, but may not act for the city centre.
    forbidden = as_user(app, "sjm-police").post(f"/tasks/{task_id}/claim")
    assert forbidden.status_code == 403
    # Donggang's squad has nothing to do with this case: the task does not exist for it.
    invisible = as_user(app, "dg-squad")
    assert invisible.post(f"/tasks/{task_id}/claim").status_code == 404
    assert invisible.get(f"/tasks/{task_id}").status_code == 404
    assert invisible.get(f"/cases/{case['id']}").status_code == 404

    bad = city.post(f"/tasks/{task_id}/complete", json={"data": {"unexpected": 1}})
    assert bad.status_code == 422 and "city_dispatch_note" in bad.get_json()["errors"]
    no_reason = city.post(f"/tasks/{task_id}/return", json={"reason": ""})
    assert no_reason.status_code == 422


def test_designers_deploy_and_everyone_reads_processes(app, demo):
    designer = as_user(app, "designer")
    upload = {"files": [(io.BytesIO(samples.sample_bpmn().encode()), "sample.bpmn")]}
    created = designer.post("/processes", data=upload, content_type="multipart/form-data")
    assert created.status_code == 201
    assert created.get_json() == [{"process_id": "sample_referral", "version": 1, "created": True}]

    broken = {"files": [(io.BytesIO(samples.sample_bpmn(**samples.TWO_OUTGOING).encode()), "two.bpmn")]}
    refused = designer.post("/processes", data=broken, content_type="multipart/form-data")
    body = refused.get_json()
    assert refused.status_code == 422 and body["file"] == "two.bpmn" and "Task_Handle" in body["element"]

    staff = as_user(app, "sjm-squad")
    upload = {"files": [(io.BytesIO(samples.sample_bpmn().encode()), "sample.bpmn")]}
    assert staff.post("/processes", data=upload, content_type="multipart/form-data").status_code == 403

    versions = staff.get("/processes").get_json()
    assert {v["process_id"] for v in versions} >= {"diversion", "dispute_funnel", "sea_land", "one_window"}
    xml = staff.get("/processes/diversion/versions/1/bpmn")
    assert xml.status_code == 200 and xml.content_type.startswith("application/xml")
    assert b'id="diversion"' in xml.data
    assert staff.get("/processes/diversion/versions/99/bpmn").status_code == 404


def test_task_form_and_agency_tree(app, demo):
    case = as_user(app, "sjm-police").post("/cases", json={"process_id": "diversion", "data": NOISE}).get_json()
    city = as_user(app, "city-dispatcher")
    form = city.get(f"/tasks/{case['open_tasks'][0]['id']}/form").get_json()
    assert "city_dispatch_note" in form["properties"]
    agencies = city.get("/agencies").get_json()
    by_code = {a["code"]: a for a in agencies}
    assert by_code["sjm-squad"]["parent"] == "shenjiamen" and by_code["zhoushan"]["parent"] is None


def test_lists_are_paginated(app, demo):
    police = as_user(app, "sjm-police")
    for index in range(5):
        police.post("/cases", json={"process_id": "diversion", "data": {**NOISE, "description": f"噪音{index}"}})
    first = police.get("/cases?page=1&page_size=2").get_json()
    third = police.get("/cases?page=3&page_size=2").get_json()
    assert (first["total"], len(first["items"]), len(third["items"])) == (5, 2, 1)
    assert police.get("/cases?page_size=1000").status_code == 422


def test_the_openapi_document_describes_the_api(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    assert spec["info"]["title"].startswith("Gongzhi")
    assert {"/api/v1/cases", "/api/v1/tasks/{task_id}/complete", "/api/v1/processes"} <= set(spec["paths"])


def test_the_interactive_docs_load_everything_from_this_server(app):
    client = app.test_client()
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(asset.startswith("/") for asset in assets), assets  # no CDN: this machine is offline
    for asset in assets:
        assert client.get(asset).status_code == 200, f"{asset} is missing: run `make install`"


def test_chinese_text_is_sent_as_utf8_not_escaped(app, demo):
    response = as_user(app, "sjm-police").get("/agencies")
    assert "舟山市".encode() in response.data and b"\\u" not in response.data


def test_the_inbox_filters_by_process_and_incident_category(app, demo):
    dispatcher = as_user(app, "city-dispatcher")
    as_user(app, "sjm-police").post("/cases", json={"process_id": "diversion", "data": {
        "category": "noise", "location": "sjm-duntou-g1", "description": "噪音扰民"}})
    assert dispatcher.get("/tasks?view=agency&category=noise").get_json()["total"] == 1
    assert dispatcher.get("/tasks?view=agency&category=wage_dispute").get_json()["total"] == 0
    assert dispatcher.get("/tasks?view=agency&process_id=dispute_funnel").get_json()["total"] == 0
    bad = dispatcher.get("/tasks?view=agency&category=lunch")
    assert bad.status_code == 422 and "category" in bad.get_json()["errors"]

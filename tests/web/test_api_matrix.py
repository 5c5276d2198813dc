"""Authorization matrix: every endpoint × who asks, with the exact status code each one gets.

The case under test is a diversion started by the Shenjiamen police station whose city step is done:
its open task sits at the district dispatch centre (pt-dispatch).
"""

import io
import json
import time
import uuid
from datetime import date

import pytest
from sqlalchemy import select, update

from engine import outbox, request_extension
from engine.channels import add_my_channel
from engine.db import db, utcnow
from engine.indicators.scope import month_of
from engine.models import Agency, Notice, OutboxMessage, Report, Task
from engine.notices import Recipient, send_notice
from engine.reports import generate_report
from engine.signing import signature
from engine.tokens import create_token
from engine.transaction import transaction
from tests.engine import samples
from tests.web.api_client import as_user

NOISE = {"category": "noise", "location": "sjm-duntou-g1", "description": "噪音扰民"}
ACTORS = {
    "anonymous": None,
    "own_agency": "pt-dispatcher",       # staff of the agency that holds the task
    "other_agency": "dg-squad",          # staff with nothing to do with the case
    "parent_supervisor": "pt-supervisor",  # supervisor of the district above the task's agency
    "designer": "designer",              # works at the city centre, which had a task on the case
    "admin": "admin",
}


def _victim_token() -> int:
    return create_token(username="sjm-squad", name="to revoke").id


def _extension(task_id: int) -> int:
    return request_extension(task_id=task_id, username="pt-dispatcher", reason="需协调", extra="1 hours").id


def _notice(task_id: int) -> int:
    """A reminder addressed to the district dispatch centre, which holds the task."""
    agency = db.session.scalar(select(Task.candidate_agency_id).where(Task.id == task_id))
    with transaction():
        send_notice(kind="reminder", key=f"matrix:{task_id}", recipient=Recipient(agency, None),
                    message="【超时提醒】", at=utcnow(), task_id=task_id)
    return db.session.scalar(select(Notice.id).where(Notice.dedupe_key == f"matrix:{task_id}"))


def _report() -> int:
    """Putuo district's monthly report (定期通报), which its supervisor may read."""
    putuo = db.session.execute(select(Agency.id, Agency.code, Agency.name, Agency.path)
                               .where(Agency.code == "putuo")).one()
    existing = db.session.scalar(select(Report.id).where(Report.agency_id == putuo.id))
    return existing or generate_report(agency=putuo, kind="monthly", period=month_of(date(2025, 6, 1)), now=utcnow())


def _channel() -> int:
    """An SMS channel pt-dispatcher chose for themselves."""
    return add_my_channel(username="pt-dispatcher", kind="sms", address="13800138000")["id"]


def _dead_message() -> int:
    """A webhook delivery that failed for good."""
    with transaction():
        message_id = outbox.enqueue("webhook", key=f"matrix:{utcnow().isoformat()}", payload={})
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                       .values(status="dead", attempts=8, last_error="HTTP 503"))
    db.session.commit()
    return message_id


def _district_task(app) -> tuple[int, int]:
    case = as_user(app, "sjm-police").post("/cases", json={"process_id": "diversion", "data": NOISE}).get_json()
    city = as_user(app, "city-dispatcher")
    city_task = case["open_tasks"][0]["id"]
    city.post(f"/tasks/{city_task}/claim")
    case = city.post(f"/tasks/{city_task}/complete", json={"data": {"city_dispatch_note": "转区级"}}).get_json()
    return case["id"], case["open_tasks"][0]["id"]


INTAKE_SECRET = "matrix-intake-secret"


def _signed_push(client, url):
    """Push a fresh incident to the 110 intake, signed as the dispatch system signs it."""
    body = json.dumps({"incident_id": uuid.uuid4().hex, **NOISE, "reported_at": "2024-05-10T23:30:00+08:00"}).encode()
    stamp = str(int(time.time()))
    return client.client.post(f"/api/v1{url}", data=body, headers={
        **client.headers, "Content-Type": "application/json", "X-Gongzhi-Timestamp": stamp,
        "X-Gongzhi-Signature": signature(INTAKE_SECRET, stamp, body)})


def _upload():
    return {"files": [(io.BytesIO(samples.sample_bpmn().encode()), "sample.bpmn")]}


# (method, path template, body, {actor: status})
READ_CASE = {"anonymous": 401, "own_agency": 200, "other_agency": 404, "parent_supervisor": 200, "designer": 200,
             "admin": 200}
ACT_ON_TASK = {"anonymous": 401, "own_agency": 200, "other_agency": 404, "parent_supervisor": 200,
               "designer": 403, "admin": 403}
ADMIN_ONLY = {"anonymous": 401, "own_agency": 403, "other_agency": 403, "parent_supervisor": 403, "designer": 403,
              "admin": 200}
DECIDE_EXTENSION = {"anonymous": 401, "own_agency": 403, "other_agency": 404, "parent_supervisor": 200,
                    "designer": 403, "admin": 403}
EVERYONE = {"anonymous": 401, "own_agency": 200, "other_agency": 200, "parent_supervisor": 200, "designer": 200,
            "admin": 200}
# The indicators and periodic reports: supervisors (of their area) and administrators.
SUPERVISORS = {**ADMIN_ONLY, "parent_supervisor": 200}
MATRIX = [
    ("GET", "/processes", None, EVERYONE),
    ("POST", "/processes", "upload", {"anonymous": 401, "own_agency": 403, "other_agency": 403,
                                      "parent_supervisor": 403, "designer": 201, "admin": 201}),
    ("GET", "/processes/diversion/versions/1/bpmn", None, EVERYONE),
    ("GET", "/agencies", None, EVERYONE),
    ("GET", "/cases", None, EVERYONE),
    ("POST", "/cases", {"process_id": "diversion", "data": NOISE},
     {actor: 401 if actor == "anonymous" else 201 for actor in ACTORS}),
    ("GET", "/cases/{case}", None, READ_CASE),
    ("GET", "/cases/{case}/timeline", None, READ_CASE),
    ("GET", "/cases/{case}/progress", None, READ_CASE),
    ("GET", "/tasks?view=mine", None, EVERYONE),
    ("GET", "/tasks?view=agency", None, EVERYONE),
    ("GET", "/tasks?view=overdue", None, EVERYONE),
    ("GET", "/tasks/{task}", None, READ_CASE),
    ("GET", "/tasks/{task}/form", None, READ_CASE),
    ("POST", "/tasks/{task}/claim", None, ACT_ON_TASK),
    ("POST", "/tasks/{task}/unclaim", None, {**ACT_ON_TASK, "own_agency": 409, "parent_supervisor": 409}),
    ("POST", "/tasks/{task}/complete", {"data": {"district_dispatch_note": "转街道"}}, ACT_ON_TASK),
    ("POST", "/tasks/{task}/return", {"reason": "不属于本区"}, ACT_ON_TASK),
    ("POST", "/tasks/{task}/reassign", {"agency": "sjm-office", "reason": "改由街道办理"},
     {"anonymous": 401, "own_agency": 403, "other_agency": 404, "parent_supervisor": 200, "designer": 403,
      "admin": 403}),
    ("GET", "/tasks/{task}/comments", None, READ_CASE),
    ("POST", "/tasks/{task}/comments", {"body": "已电话联系报警人"}, {**READ_CASE, "own_agency": 201,
                                                                 "parent_supervisor": 201, "designer": 201,
                                                                 "admin": 201}),
    ("POST", "/tasks/{task}/extensions", {"reason": "需协调相关部门", "extra": "1 hours"},
     {**ACT_ON_TASK, "own_agency": 201, "parent_supervisor": 201}),
    ("GET", "/extensions", None, EVERYONE),
    ("GET", "/extensions?status=pending", None, EVERYONE),
    ("GET", "/extensions/{extension}", None, READ_CASE),
    ("POST", "/extensions/{extension}/approve", {"note": "同意"}, DECIDE_EXTENSION),
    ("POST", "/extensions/{extension}/refuse", {"note": "请按期办结"}, DECIDE_EXTENSION),
    ("GET", "/notices", None, EVERYONE),
    ("POST", "/notices/{notice}/read", None, {"anonymous": 401, "own_agency": 200, "other_agency": 404,
                                              "parent_supervisor": 404, "designer": 404, "admin": 404}),
    ("GET", "/users", None, ADMIN_ONLY),
    ("POST", "/users", {"username": "new-grid-worker", "display_name": "新网格员", "agency_code": "sjm-duntou-g2",
                        "roles": ["staff"], "password": "a-long-password"}, {**ADMIN_ONLY, "admin": 201}),
    ("GET", "/users/sjm-squad", None, ADMIN_ONLY),
    ("PATCH", "/users/sjm-squad", {"display_name": "沈家门城管队员（改）"}, ADMIN_ONLY),
    ("GET", "/tokens", None, ADMIN_ONLY),
    ("POST", "/tokens", {"username": "sjm-squad", "name": "110 dispatch"}, {**ADMIN_ONLY, "admin": 201}),
    ("POST", "/tokens/{token}/revoke", None, {**ADMIN_ONLY, "admin": 204}),
    ("GET", "/channels", None, EVERYONE),
    ("POST", "/channels", {"kind": "sms", "address": "13800138000"},
     {actor: 401 if actor == "anonymous" else 201 for actor in ACTORS}),
    ("POST", "/channels", {"kind": "email", "address": "dispatch@putuo.example", "for_agency": True},
     {"anonymous": 401, "own_agency": 403, "other_agency": 403, "parent_supervisor": 201, "designer": 403,
      "admin": 201}),
    ("DELETE", "/channels/{channel}", None, {"anonymous": 401, "own_agency": 204, "other_agency": 404,
                                             "parent_supervisor": 404, "designer": 404, "admin": 404}),
    ("GET", "/outbox", None, ADMIN_ONLY),
    ("GET", "/outbox?status=dead&limit=10", None, ADMIN_ONLY),
    ("POST", "/outbox/{message}/retry", None, {**ADMIN_ONLY, "admin": 204}),
    ("GET", "/indicators", None, SUPERVISORS),
    ("GET", "/indicators?from=2025-06-01&to=2025-07-01&agency=pt-dispatch&tier=district", None, SUPERVISORS),
    ("GET", "/indicators/trend?metric=cases&granularity=week", None, SUPERVISORS),
    ("GET", "/reports", None, SUPERVISORS),
    ("GET", "/reports/{report}", None, SUPERVISORS),
    ("GET", "/reports/{report}.html", None, SUPERVISORS),
    ("GET", "/reports/{report}.xlsx", None, SUPERVISORS),
    ("GET", "/cases/export", None, EVERYONE),
    ("GET", "/cases/export?format=xlsx&status=running", None, EVERYONE),
    # the dispatch system's integration user in production; any active token's user may push a signed incident
    ("POST", "/intake/110", "signed_110", {actor: 401 if actor == "anonymous" else 201 for actor in ACTORS}),
]


@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX,
                         ids=[f"{method} {path}" for method, path, _, _ in MATRIX])
def test_authorization_matrix(app, demo, method, path, body, expected, monkeypatch):
    assert set(expected) == set(ACTORS), "every endpoint is checked for every kind of caller"
    monkeypatch.setitem(app.config, "INTAKE_HMAC_SECRET", INTAKE_SECRET)
    got = {}
    for actor, username in ACTORS.items():
        case_id, task_id = _district_task(app)  # a fresh case for each caller: nothing one did affects the next
        client = as_user(app, username)
        extension = _extension(task_id) if "{extension}" in path else None
        notice = _notice(task_id) if "{notice}" in path else None
        message = _dead_message() if "{message}" in path else None
        channel = _channel() if "{channel}" in path else None
        report = _report() if "{report}" in path else None
        url = path.format(case=case_id, task=task_id, token=_victim_token(), extension=extension, notice=notice,
                          message=message, report=report, channel=channel)
        if body == "upload":
            response = client.post(url, data=_upload(), content_type="multipart/form-data")
        elif body == "signed_110":
            response = _signed_push(client, url)
        elif method == "POST":
            response = client.post(url, json=body)
        elif method == "PATCH":
            response = client.patch(url, json=body)
        elif method == "DELETE":
            response = client.delete(url)
        else:
            response = client.get(url)
        got[actor] = response.status_code
        if response.status_code >= 400:
            assert response.content_type == "application/problem+json", (actor, response.data)
    assert got == expected

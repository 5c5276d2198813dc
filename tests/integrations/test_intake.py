"""Incident intake: the engine command (classify, divert, idempotency) and the signed 110 push endpoint."""

import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from engine import InvalidInputError, get_case
from engine.db import db
from engine.decisions import classify_incident, evaluate_decision
from engine.incidents import take_incident, take_incidents
from engine.models import Case, Incident
from engine.tokens import create_token
from tests.steps import race

SECRET = "dispatch-shared-secret-0123456789"
NOISE = {"category": "noise", "location": "sjm-duntou-g1", "description": "楼上深夜装修噪声扰民",
         "reported_at": "2024-05-10T23:30:00+08:00", "caller_phone": "13800138000"}
THEFT = {**NOISE, "category": "theft", "description": "电动车被盗"}


def cases() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def incidents() -> list[Incident]:
    db.session.expire_all()
    return db.session.scalars(select(Incident).order_by(Incident.id)).all()


# --- the engine -----------------------------------------------------------------------------------------

def test_the_deployed_decision_table_classifies(demo):
    assert classify_incident("theft") is True
    assert classify_incident("noise") is False
    assert classify_incident("other") is False  # the table's default row
    assert evaluate_decision(process_id="diversion", decision_id="classify_incident",
                             inputs={"category": "wage_dispute"}) == {
        "police_business": False, "target_kind": "labour_bureau", "tier": "district"}


def test_a_non_police_matter_is_diverted_to_a_case_in_the_same_command(demo):
    result = take_incident(source="110", external_id="110-0001", data=NOISE, username="sjm-police")
    assert (result.police_matter, result.created) == (False, True)
    case = get_case(result.case_id)
    assert case.process_id == "diversion" and case.location == "sjm-duntou-g1"
    assert case.events[0].data["caller_phone"] == "13800138000"
    [row] = incidents()
    assert (row.source, row.external_id, row.case_id, row.police_matter) == ("110", "110-0001", case.id, False)
    assert row.reported_at == datetime(2024, 5, 10, 15, 30, tzinfo=UTC)
    assert row.payload == NOISE


def test_police_business_is_recorded_as_an_incident_only(demo):
    result = take_incident(source="110", external_id="110-0002", data=THEFT, username="sjm-police")
    assert (result.police_matter, result.case_id) == (True, None)
    assert cases() == 0
    [row] = incidents()
    assert row.police_matter and row.case_id is None and row.category == "theft"


def test_the_same_incident_twice_starts_one_case(demo):
    first = take_incident(source="110", external_id="110-0003", data=NOISE, username="sjm-police")
    again = take_incident(source="110", external_id="110-0003", data={**NOISE, "category": "theft"},
                          username="sjm-police")
    assert again.created is False and again.case_id == first.case_id and not again.police_matter
    assert cases() == 1 and len(incidents()) == 1
    # another source may use the same id for its own incident
    assert take_incident(source="import", external_id="110-0003", data=NOISE).created


@pytest.mark.parametrize(("field", "value", "says"), [
    ("category", "ufo", "unknown category 'ufo'"),
    ("location", "atlantis", "not the code of a grid or community"),
    ("location", "pt", "not the code of a grid or community"),  # a district, not a grid
    ("reported_at", "2024-05-10 09:30", "ISO 8601 time with an offset"),
    ("reported_at", "2024-05-10T09:30:00", "ISO 8601 time with an offset"),
    ("reported_at", "2024-02-30T09:30:00+08:00", "not a real date"),
    ("caller_phone", "call me", "does not match"),
    ("description", "", "required"),
])
def test_bad_fields_are_refused_by_name(demo, field, value, says):
    with pytest.raises(InvalidInputError) as refused:
        take_incident(source="110", external_id="bad", data={**NOISE, field: value})
    assert says in " ".join(refused.value.details[field])
    assert incidents() == [] and cases() == 0


def test_concurrent_duplicates_start_one_case(app, demo):
    results = race(app, [lambda: take_incident(source="110", external_id="110-race", data=NOISE,
                                               username="sjm-police") for _ in range(4)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.created for r in results) == [False, False, False, True]
    assert len({r.case_id for r in results}) == 1
    assert cases() == 1 and len(incidents()) == 1


def test_a_batch_takes_the_good_items_and_reports_the_bad(demo):
    take_incident(source="import", external_id="old", data=THEFT)
    results = take_incidents(source="import", username="sjm-police", items=[
        ("a", NOISE), ("b", {**NOISE, "category": "ufo"}), ("old", NOISE), ("c", THEFT), ("a", NOISE), ("", NOISE)])
    a, b, old, c, a_again, nameless = results
    assert a.created and a.case_id and c.created and c.police_matter
    assert isinstance(b, InvalidInputError) and "category" in b.details
    assert old.created is False and old.police_matter  # taken before, untouched
    assert a_again.created is False and a_again.case_id == a.case_id
    assert isinstance(nameless, InvalidInputError) and "incident_id" in nameless.details
    assert cases() == 1 and len(incidents()) == 3


# --- the push endpoint ----------------------------------------------------------------------------------

@pytest.fixture
def dispatch(app, demo, monkeypatch):
    """The dispatch system: its integration user's token and the shared secret; push(body) signs and sends."""
    monkeypatch.setitem(app.config, "INTAKE_HMAC_SECRET", SECRET)
    token = create_token(username="sjm-police", name="110 接警推送").token
    client = app.test_client()

    def push(body, *, stamp=None, secret=SECRET, headers=None, sign=True):
        raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        stamp = str(int(time.time())) if stamp is None else str(stamp)
        sent = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                "X-Gongzhi-Timestamp": stamp}
        if sign:
            digest = hmac.new(secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
            sent["X-Gongzhi-Signature"] = f"sha256={digest}"
        sent.update(headers or {})
        return client.post("/api/v1/intake/110", data=raw, headers={k: v for k, v in sent.items() if v is not None})

    return push


def push_body(category="noise", **changes):
    return {"incident_id": f"110-{uuid.uuid4().hex[:12]}", **NOISE, "category": category, **changes}


def test_a_signed_push_is_taken(dispatch):
    body = push_body()
    response = dispatch(body)
    assert response.status_code == 201, response.get_json()
    receipt = response.get_json()
    assert receipt["incident_id"] == body["incident_id"] and receipt["police_matter"] is False
    assert get_case(receipt["case_id"]).process_id == "diversion"


def test_a_police_matter_push_is_recorded_without_a_case(dispatch):
    response = dispatch(push_body("theft"))
    assert response.status_code == 201
    assert response.get_json()["police_matter"] is True and response.get_json()["case_id"] is None
    assert cases() == 0 and len(incidents()) == 1


def test_a_duplicate_push_gets_the_first_answer(dispatch):
    body = push_body()
    first = dispatch(body).get_json()
    again = dispatch(body, stamp=int(time.time()) + 1)  # signed again, as a retrying sender does
    assert again.status_code == 200 and again.get_json() == first
    assert cases() == 1


def test_an_exact_replay_within_the_window_changes_nothing(dispatch):
    body, stamp = push_body(), int(time.time())
    first = dispatch(body, stamp=stamp)
    replay = dispatch(body, stamp=stamp)
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.get_json() == first.get_json() and cases() == 1


def test_a_replay_after_the_window_is_refused(dispatch):
    body, stamp = push_body(), int(time.time())
    assert dispatch(body, stamp=stamp).status_code == 201
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=301), tick=False):
        replay = dispatch(body, stamp=stamp)
    assert replay.status_code == 401 and "replays are refused" in replay.get_json()["detail"]


@pytest.mark.parametrize(("case", "detail"), [
    ("bad signature", "does not match the body"),
    ("other secret", "does not match the body"),
    ("no signature", "send X-Gongzhi-Signature"),
    ("no timestamp", "send X-Gongzhi-Timestamp"),
    ("text timestamp", "send X-Gongzhi-Timestamp"),
    ("stale", "301 s old"),
    ("future", "301 s ahead"),
    ("tampered body", "does not match the body"),
])
def test_unsigned_or_stale_pushes_are_refused(dispatch, case, detail):
    body, now = push_body(), int(time.time())
    response = {
        "bad signature": lambda: dispatch(body, headers={"X-Gongzhi-Signature": "sha256=" + "0" * 64}),
        "other secret": lambda: dispatch(body, secret="not-the-secret"),
        "no signature": lambda: dispatch(body, sign=False),
        "no timestamp": lambda: dispatch(body, headers={"X-Gongzhi-Timestamp": None}),
        "text timestamp": lambda: dispatch(body, stamp="yesterday"),
        "stale": lambda: dispatch(body, stamp=now - 301),
        "future": lambda: dispatch(body, stamp=now + 301),
        "tampered body": lambda: _tampered(dispatch, body),
    }[case]()
    assert response.status_code == 401, response.get_json()
    assert response.content_type == "application/problem+json"
    assert detail in response.get_json()["detail"]
    assert incidents() == []


def _tampered(dispatch, body):
    """Sign one body, send another under the same headers."""
    stamp = str(int(time.time()))
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    other = json.dumps({**body, "category": "theft"}).encode()
    return dispatch(other, stamp=stamp, headers={"X-Gongzhi-Signature": signature})


def test_the_token_is_checked_before_the_signature(dispatch):
    response = dispatch(push_body(), headers={"Authorization": None})
    assert response.status_code == 401 and "Bearer" in response.get_json()["detail"]


def test_without_a_secret_the_endpoint_says_it_is_not_configured(dispatch, app, monkeypatch):
    monkeypatch.delitem(app.config, "INTAKE_HMAC_SECRET")
    monkeypatch.delenv("GONGZHI_INTAKE_HMAC_SECRET", raising=False)
    response = dispatch(push_body())
    assert response.status_code == 503 and "GONGZHI_INTAKE_HMAC_SECRET" in response.get_json()["detail"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"category": "ufo"}, "category"),
    ({"location": "atlantis"}, "location"),
    ({"reported_at": "10/05/2024 09:30"}, "reported_at"),
    ({"reported_at": None}, "reported_at"),
    ({"incident_id": ""}, "incident_id"),
    ({"priority": "high"}, "priority"),
])
def test_bad_input_is_a_422_naming_the_field(dispatch, changes, field):
    body = {key: value for key, value in push_body(**changes).items() if value is not None}
    response = dispatch(body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"], response.get_json()
    assert incidents() == []


def test_a_body_that_is_not_json_is_a_4xx(dispatch):
    response = dispatch(b"{not json")
    assert 400 <= response.status_code < 500 and response.content_type == "application/problem+json"


def test_concurrent_duplicate_pushes_start_one_case(app, dispatch):
    body, stamp = push_body(), int(time.time())
    responses = race(app, [lambda s=stamp + i: dispatch(body, stamp=s) for i in range(4)])
    codes = sorted(response.status_code for response in responses)
    assert codes == [200, 200, 200, 201], [r.get_json() for r in responses]
    assert len({response.get_json()["case_id"] for response in responses}) == 1
    assert cases() == 1

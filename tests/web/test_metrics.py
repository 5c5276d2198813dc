"""Prometheus metrics at /metrics: request latency by endpoint, and the backlog counted in the database."""

from datetime import UTC, datetime, timedelta

import time_machine
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from engine import claim_task, outbox, start_case
from engine.db import db
from engine.models import Task
from engine.transaction import transaction
from integrations.delivery import deliver
from tests.web.api_client import as_user
from web.app import create_app

WALL = {"category": "property_damage", "location": "sjm-duntou-g1", "description": "墙体被撞裂，双方争执"}
DISPUTE = {"source": "petition", "location": "dg-puxi-g1", "parties": ["甲", "乙"], "summary": "噪音纠纷"}
START = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    """GET /metrics; return {(sample name, sorted labels): value}."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain; version=")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for sample in family.samples}


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def requests_of(samples, endpoint, method="GET", status="200") -> float:
    return value(samples, "gongzhi_http_request_duration_seconds_count", endpoint=endpoint, method=method,
                 status=status)


def test_request_latency_is_a_histogram_by_endpoint_method_and_status_never_by_raw_path(app, demo):
    client = app.test_client()
    before = scrape(client)
    for _ in range(3):
        assert client.get("/health").status_code == 200
    assert client.get("/api/v1/tasks/424242").status_code == 401
    assert client.get("/no/such/page/8675309").status_code == 404
    after = scrape(client)

    assert requests_of(after, "health.health_json") - requests_of(before, "health.health_json") == 3
    assert requests_of(after, "tasks.read", status="401") - requests_of(before, "tasks.read", status="401") == 1
    assert requests_of(after, "none", status="404") - requests_of(before, "none", status="404") == 1
    inf = value(after, "gongzhi_http_request_duration_seconds_bucket", endpoint="health.health_json", method="GET",
                status="200", le="+Inf")
    assert inf == requests_of(after, "health.health_json")
    assert value(after, "gongzhi_http_request_duration_seconds_sum", endpoint="health.health_json", method="GET",
                 status="200") > 0
    text = client.get("/metrics").get_data(as_text=True)
    assert "424242" not in text and "8675309" not in text  # ids and paths never become labels


def test_no_personal_data_reaches_the_metrics(app, demo):
    client = as_user(app, "sjm-police")
    case = client.post("/cases", json={"process_id": "diversion", "data": WALL})
    assert case.status_code == 201
    assert client.get(f"/cases/{case.get_json()['id']}").status_code == 200
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert 'endpoint="cases.read"' in text
    for personal in ("sjm-police", "墙体被撞裂", "sjm-duntou-g1", "/api/v1/cases"):
        assert personal not in text


def active_counts(now):
    """What SQL says, counted here independently of engine/backlog.py."""
    active = Task.status.in_(("open", "claimed"))
    return {
        "open": db.session.scalar(select(func.count()).where(Task.status == "open")),
        "claimed": db.session.scalar(select(func.count()).where(Task.status == "claimed")),
        "overdue": db.session.scalar(select(func.count()).where(active, Task.due_at < now)),
    }


def test_task_gauges_equal_what_the_database_counts(app, demo):
    client = app.test_client()
    with time_machine.travel(START, tick=False) as clock:
        early = [start_case(process_id="diversion", data=WALL, username="sjm-police") for _ in range(3)]
        claim_task(task_id=early[0].open_tasks[0].id, username="city-dispatcher")
        clock.move_to(START + timedelta(hours=1))
        for _ in range(2):
            start_case(process_id="diversion", data=WALL, username="sjm-police")
        # The city dispatch step has 30 minutes: the first three are late, the last two are not.
        clock.move_to(START + timedelta(hours=1, minutes=1))
        samples = scrape(client)
        expected = active_counts(datetime.now(UTC))

    assert expected == {"open": 4, "claimed": 1, "overdue": 3}
    assert value(samples, "gongzhi_tasks_active", status="open") == expected["open"]
    assert value(samples, "gongzhi_tasks_active", status="claimed") == expected["claimed"]
    assert value(samples, "gongzhi_tasks_overdue") == expected["overdue"]
    assert value(samples, "gongzhi_database_up") == 1


def test_the_timers_due_gauge_counts_cases_whose_timer_has_come(app, demo):
    client = app.test_client()
    with time_machine.travel(START, tick=False) as clock:
        start_case(process_id="dispute_funnel", data=DISPUTE)
        assert value(scrape(client), "gongzhi_case_timers_due") == 0
        clock.move_to(START + timedelta(days=3, minutes=1))  # the community's mediation window has closed
        assert value(scrape(client), "gongzhi_case_timers_due") == 1


def enqueue(key, topic="webhook"):
    with transaction():
        return outbox.enqueue(topic, key=key, payload={"notice_id": 0, "channel_id": 0})


def test_outbox_gauges_count_pending_and_dead_messages_and_the_delivery_lag(app, demo):
    client = app.test_client()
    with time_machine.travel(START, tick=False) as clock:
        enqueue("waiting-1")
        enqueue("waiting-2")
        doomed = enqueue("no-handler", topic="carrier-pigeon")  # every attempt fails
        for _ in range(outbox.MAX_ATTEMPTS):
            clock.shift(timedelta(hours=1))  # past any backoff
            deliver(doomed)
        samples = scrape(client)
    assert outbox.status_counts() == {"pending": 2, "dead": 1}
    assert value(samples, "gongzhi_outbox_messages", status="pending") == 2
    assert value(samples, "gongzhi_outbox_messages", status="dead") == 1
    # The two waiting messages were due at START: nobody has delivered them for 8 hours.
    assert value(samples, "gongzhi_outbox_lag_seconds") == 8 * 3600


def test_metrics_answer_even_when_the_database_does_not(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"},
                     instance_path=str(tmp_path))
    samples = scrape(app.test_client())
    assert value(samples, "gongzhi_database_up") == 0
    assert ("gongzhi_tasks_overdue", ()) not in samples  # no made-up zero when nothing was counted


def test_a_metrics_token_keeps_the_metrics_to_who_holds_it(app, monkeypatch):
    monkeypatch.setenv("GONGZHI_METRICS_TOKEN", "scrape-secret-0123456789")
    client = app.test_client()
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert "GONGZHI_METRICS_TOKEN" in refused.get_data(as_text=True)
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert value(scrape(client, Authorization="Bearer scrape-secret-0123456789"), "gongzhi_database_up") == 1

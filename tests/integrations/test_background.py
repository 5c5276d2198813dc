"""The background jobs on dramatiq: the stub broker in-process, and real Redis and RabbitMQ brokers.

A scheduler tick sends what the database says is due; the workers fire the timers, find the breaches,
send the supervision chain and deliver its notices to a partner's signed webhook.
"""

import os
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from engine import get_case, start_case
from engine.channels import add_channel
from engine.db import db
from engine.models import AuditEvent, OutboxMessage
from integrations.scheduler import tick
from tests.integrations.conftest import SECRET, running_worker
from tests.steps import work

DISPUTE = {"source": "petition", "location": "dg-puxi-g1", "parties": ["甲", "乙"], "summary": "噪音纠纷"}
WALL = {"category": "property_damage", "location": "sjm-duntou-g1", "description": "墙体被撞裂，双方争执"}
START = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)

BROKERS = [pytest.param(None, id="stub")]
for name in ("REDIS", "RABBITMQ"):
    url = os.environ.get(f"GONGZHI_TEST_{name}_URL")
    BROKERS.append(pytest.param(url, id=name.lower(), marks=pytest.mark.skipif(
        not url, reason=f"set GONGZHI_TEST_{name}_URL to test the {name.title()} broker (.ci/run does)")))


@pytest.fixture(params=BROKERS)
def background(request, app):
    """The broker and actors on a queue of this test's own, and a worker running them in this process."""
    with running_worker(app, request.param) as (broker, actors, _worker):
        yield broker, actors


def drain(broker, actors):
    broker.join(actors.fire_timers.queue_name, timeout=30_000)


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def street_task():
    """A diversion case dispatched down to the street squad, which has 24 hours."""
    case = start_case(process_id="diversion", data=WALL, username="sjm-police")
    case = work(case.open_tasks[0].id, "city-dispatcher", {"city_dispatch_note": "转区分流"})
    return work(case.open_tasks[0].id, "pt-dispatcher", {"district_dispatch_note": "下派街道"}).open_tasks[0]


def test_a_tick_fires_due_timers_finds_breaches_and_delivers_the_notices(demo, background, receiver):
    broker, actors = background
    with time_machine.travel(START, tick=False) as clock:
        dispute = start_case(process_id="dispute_funnel", data=DISPUTE)
        late = street_task()
        # The squad listens from now on: it hears of the breach (its new task was announced before).
        add_channel(kind="webhook", address=receiver.url, secret=SECRET, agency_code="sjm-squad")
        assert tick(actors) == {"timers": 0, "outbox": 0}
        drain(broker, actors)
        assert receiver.calls == []

        # Three days on, the community's mediation window has closed (a BPMN timer) and the squad is late.
        clock.move_to(START + timedelta(days=3, minutes=1))
        assert tick(actors)["timers"] == 1
        drain(broker, actors)
    assert get_case(dispute.id).open_tasks[0].bpmn_id == "Task_StreetMediation"
    db.session.expire_all()
    assert count(AuditEvent, AuditEvent.event == "timer_fired") == 1
    assert count(AuditEvent, AuditEvent.event == "overdue", AuditEvent.task_id == late.id) == 1
    [call] = receiver.calls
    assert (call["json"]["kind"], call["json"]["task_id"]) == ("reminder", late.id)
    assert "超时提醒" in call["json"]["message"] and receiver.verified(call)
    assert count(OutboxMessage, OutboxMessage.status == "sent") == 1


def test_a_failing_partner_is_retried_by_the_next_ticks_until_it_answers(demo, background, receiver):
    broker, actors = background
    receiver.answers = [503, 500]
    with time_machine.travel(START, tick=False) as clock:
        street_task()
        add_channel(kind="webhook", address=receiver.url, secret=SECRET, agency_code="sjm-squad")
        clock.move_to(START + timedelta(days=1, minutes=1))
        tick(actors)
        drain(broker, actors)
        [message] = db.session.scalars(select(OutboxMessage)).all()
        assert (message.status, message.attempts, "HTTP 503" in message.last_error) == ("pending", 1, True)
        clock.shift(timedelta(seconds=31))
        assert tick(actors)["outbox"] == 1
        drain(broker, actors)
        clock.shift(timedelta(seconds=61))
        tick(actors)
        drain(broker, actors)
    db.session.expire_all()
    message = db.session.scalars(select(OutboxMessage)).one()
    assert (message.status, message.attempts) == ("sent", 3)
    assert [call["status"] for call in receiver.calls] == [503, 500, 200]
    assert len(set(receiver.keys())) == 1  # every attempt carries the same idempotency key

"""Real worker and scheduler processes on Redis: a killed worker, and two of each for a simulated day."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from engine import outbox, start_case
from engine.channels import add_channel
from engine.db import db
from engine.models import AuditEvent, OutboxMessage, SupervisionStep, Task
from engine.sla import mark_breaches, send_due_supervision
from integrations import setup_background
from integrations.scheduler import tick
from tests.integrations.conftest import SECRET
from tests.integrations.test_background import DISPUTE, street_task

REDIS_URL = os.environ.get("GONGZHI_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="set GONGZHI_TEST_REDIS_URL (.ci/run does)")
GONGZHI = str(Path(sys.executable).parent / "gongzhi")


@pytest.fixture
def processes(app, tmp_path):
    """Start `gongzhi` processes on the test database and a queue of this test's own; kill them after."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "GONGZHI_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "GONGZHI_BROKER_URL": REDIS_URL, "GONGZHI_QUEUE_NAME": queue, "GONGZHI_SECRET_KEY": "test",
           "GONGZHI_OUTBOX_LEASE_SECONDS": "3"}
    started = []

    def start(*args):
        process = subprocess.Popen([GONGZHI, *args], env=env, cwd=tmp_path, start_new_session=True,
                                   stdout=subprocess.DEVNULL, stderr=(tmp_path / f"{len(started)}.log").open("w"))
        started.append(process)
        return process

    _broker, actors = setup_background(app, broker_url=REDIS_URL, queue_name=queue)
    start.actors = actors
    start.env = env
    yield start
    outbox.on_enqueued(None)
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for(condition, what: str, timeout: float = 60, every=None):
    """Poll `condition` (other processes are doing the work); call `every` between polls."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        if every:
            every()
        time.sleep(0.2)


def outbox_rows():
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_a_worker_killed_in_the_middle_of_a_delivery_is_replaced_and_the_notice_arrives_once(
        demo, processes, receiver):
    start = datetime.now(UTC) - timedelta(days=2)
    with time_machine.travel(start, tick=False):
        street_task()
    add_channel(kind="webhook", address=receiver.url, secret=SECRET, agency_code="sjm-squad")
    mark_breaches(now=datetime.now(UTC))
    send_due_supervision(now=datetime.now(UTC))
    [message] = outbox_rows()

    receiver.delay = 30  # the partner hangs: the worker is caught inside the job
    first = processes("worker", "--processes", "1", "--threads", "1")
    processes.actors.deliver_message.send(message.id)
    wait_for(lambda: len(receiver.calls) == 1, "the first worker to call the partner")
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert outbox_rows()[0].status == "pending"

    receiver.delay = 0
    processes("worker", "--processes", "1", "--threads", "1")
    # The scheduler's sweep finds the message again once the dead worker's lease runs out.
    wait_for(lambda: outbox_rows()[0].status == "sent", "the message to be delivered",
             every=lambda: tick(processes.actors))
    [message] = outbox_rows()
    assert message.attempts == 2
    # Both calls carry one idempotency key: the partner acts on the notice once.
    assert len(receiver.calls) == 2 and len(set(receiver.keys())) == 1


def test_two_schedulers_and_two_workers_fire_every_timer_once_and_send_every_notice_once(
        app, demo, processes, receiver):
    if app.config["BACKEND"] != "postgres":
        pytest.skip("several workers and schedulers at once are a PostgreSQL deployment")
    for agency in ("sjm-squad", "shenjiamen", "putuo", "dg-puxi"):
        add_channel(kind="webhook", address=receiver.url, secret=SECRET, agency_code=agency)
    day_start = datetime.now(UTC) - timedelta(days=8)
    disputes, late = [], []
    with time_machine.travel(day_start, tick=False) as clock:
        for hour in range(12):  # a day's intake, one dispute and one referral an hour
            clock.move_to(day_start + timedelta(hours=hour))
            disputes.append(start_case(process_id="dispute_funnel", data=DISPUTE).id)
            late.append(street_task().id)

    # A lease longer than any delivery on a loaded machine: each message is then delivered exactly once
    # (a shorter lease lets a second worker take a delivery still in flight, as the test above relies on).
    processes.env["GONGZHI_OUTBOX_LEASE_SECONDS"] = "60"
    for _ in range(2):
        processes("scheduler", "--interval", "0.3")
        processes("worker", "--processes", "1", "--threads", "2")

    def settled():
        db.session.expire_all()
        pending_steps = db.session.scalar(select(func.count()).select_from(SupervisionStep).where(
            SupervisionStep.status == "pending", SupervisionStep.send_at <= datetime.now(UTC)))
        fired = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.event == "timer_fired"))
        unsent = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status != "sent"))
        steps = db.session.scalar(select(func.count()).select_from(SupervisionStep))
        return fired >= len(disputes) and steps and not pending_steps and not unsent

    wait_for(settled, "the day's timers, breaches and notices", timeout=120)
    time.sleep(1.5)  # a few more ticks of both schedulers: nothing may happen twice

    events = Counter(db.session.execute(select(AuditEvent.event, AuditEvent.case_id).where(
        AuditEvent.event.in_(("timer_fired", "overdue")))).all())
    assert {case_id for (event, case_id) in events if event == "timer_fired"} == set(disputes)
    assert all(count == 1 for (event, _), count in events.items() if event == "timer_fired")
    overdue = Counter(db.session.scalars(select(AuditEvent.task_id).where(AuditEvent.event == "overdue")))
    assert set(overdue.values()) == {1}
    assert set(late) <= set(overdue)
    assert db.session.scalar(select(func.count()).select_from(Task).where(
        Task.overdue_at.is_not(None))) == len(overdue)
    sent_steps = db.session.scalar(select(func.count()).select_from(SupervisionStep).where(
        SupervisionStep.status == "sent"))
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.event == "supervision_sent")) == sent_steps
    messages = outbox_rows()
    assert messages and all(m.status == "sent" and m.attempts == 1 for m in messages)
    assert sorted(receiver.keys()) == sorted(m.dedupe_key for m in messages)  # each delivered exactly once

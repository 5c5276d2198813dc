"""The outbox: messages written with the change, leased to one worker, retried with backoff, then dead."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from engine import ConflictError, NotFoundError, outbox
from engine.db import db
from engine.models import OutboxMessage
from engine.transaction import transaction
from integrations.delivery import deliver
from tests.web.api_client import as_user

NOW = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)


def enqueue(key="k1", topic="webhook", payload=None):
    with transaction():
        return outbox.enqueue(topic, key=key, payload=payload or {"notice_id": 0, "channel_id": 0})


def row(message_id):
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def test_a_message_is_written_once_per_key_and_only_with_its_commit(app):
    first = enqueue("notice:1:channel:1")
    assert enqueue("notice:1:channel:1") is None
    with pytest.raises(RuntimeError), transaction():
        outbox.enqueue("webhook", key="notice:2:channel:1", payload={})
        raise RuntimeError("the command fails after writing its message")
    assert db.session.scalars(select(OutboxMessage.dedupe_key)).all() == ["notice:1:channel:1"]
    assert row(first).status == "pending"


def test_a_claimed_message_is_leased_to_one_worker_until_the_lease_runs_out(app, monkeypatch):
    monkeypatch.setenv("GONGZHI_OUTBOX_LEASE_SECONDS", "60")
    with time_machine.travel(NOW, tick=False):
        message_id = enqueue()
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        first = outbox.claim(message_id, now=datetime.now(UTC))
        assert (first.attempts, outbox.claim(message_id, now=datetime.now(UTC))) == (1, None)
        assert outbox.due_messages(now=datetime.now(UTC)) == []
    later = NOW + timedelta(minutes=2, seconds=1)  # the first worker died with it: another takes it
    assert outbox.due_messages(now=later) == [message_id]
    assert outbox.claim(message_id, now=later).attempts == 2


def test_the_sweep_leaves_a_new_message_to_its_own_job_for_the_grace_then_sends_it(app):
    with time_machine.travel(NOW, tick=False):
        message_id = enqueue()
    assert outbox.due_messages(now=NOW + timedelta(seconds=29)) == []  # its job, sent at commit, may be queued
    assert outbox.due_messages(now=NOW + timedelta(seconds=30)) == [message_id]  # that job was lost


def test_failures_back_off_then_the_message_is_dead_until_retried(app):
    message_id = enqueue(topic="carrier-pigeon")  # no handler delivers it: every attempt fails
    now = datetime.now(UTC) + timedelta(seconds=1)
    delays = []
    for _ in range(outbox.MAX_ATTEMPTS):
        with time_machine.travel(now, tick=False):
            assert deliver(message_id) in ("pending", "dead")
        delays.append(row(message_id).next_attempt_at - now)
        now = row(message_id).next_attempt_at
    message = row(message_id)
    assert (message.status, message.attempts) == ("dead", outbox.MAX_ATTEMPTS)
    assert "no handler delivers 'carrier-pigeon'" in message.last_error
    assert delays[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert deliver(message_id) == "skipped"

    outbox.retry_dead(message_id)
    assert (row(message_id).status, row(message_id).attempts) == ("pending", 0)
    with pytest.raises(ConflictError, match="only dead messages"):
        outbox.retry_dead(message_id)
    with pytest.raises(NotFoundError):
        outbox.retry_dead(999999)


def test_a_message_sent_is_not_sent_again(app, monkeypatch):
    delivered = []
    monkeypatch.setitem(__import__("integrations.delivery").delivery.HANDLERS, "ping",
                        lambda message: delivered.append(message.id))
    message_id = enqueue(topic="ping")
    assert deliver(message_id) == "sent"
    assert deliver(message_id) == "skipped"
    assert delivered == [message_id]
    assert row(message_id).status == "sent"



def test_an_administrator_lists_dead_messages_and_retries_one_over_the_api(app, demo):
    message_id = enqueue(topic="carrier-pigeon")
    for _ in range(outbox.MAX_ATTEMPTS):
        with time_machine.travel(row(message_id).next_attempt_at, tick=False):
            deliver(message_id)
    admin = as_user(app, "admin")
    [dead] = admin.get("/outbox?status=dead").get_json()
    assert (dead["id"], dead["attempts"]) == (message_id, outbox.MAX_ATTEMPTS)
    assert "no handler delivers" in dead["last_error"]
    assert admin.post(f"/outbox/{message_id}/retry").status_code == 204
    assert row(message_id).status == "pending"
    again = admin.post(f"/outbox/{message_id}/retry")
    assert again.status_code == 409 and "only dead messages" in again.get_json()["detail"]
    assert admin.post("/outbox/999999/retry").status_code == 404
    assert admin.get("/outbox?status=lost").status_code == 422
    assert as_user(app, "sjm-supervisor").get("/outbox").status_code == 403

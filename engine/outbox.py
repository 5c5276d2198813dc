"""The outbox: side effects written in the same transaction as the change, delivered afterwards.

A command calls `enqueue`; the message is committed with the command or not at all. Delivery belongs
to the outside world (integrations/): a worker `claim`s a message, which leases it so no other worker
takes it meanwhile, delivers it, then marks it `sent` or `failed`. A failure is retried with a growing
delay; after MAX_ATTEMPTS the message is `dead`, with its last error, until an administrator retries it.
"""

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, or_, select, text, update

from engine.db import insert_skipping_taken, utcnow
from engine.errors import ConflictError, NotFoundError
from engine.models import OutboxMessage
from engine.transaction import connection, current_unit, transaction

log = logging.getLogger(__name__)

OUTBOX = OutboxMessage.__table__
MAX_ATTEMPTS = 8
_PENDING = text("status = 'pending'")  # the partial index's own predicate, so the planner uses it

# A message never attempted had its job sent when it was committed: the sweep takes it only once that job
# has had `sweep_grace_seconds` to start, so a backlog of workers is not flooded with a job per tick.
_DUE_IDS = (select(OUTBOX.c.id).where(_PENDING, OUTBOX.c.next_attempt_at <= bindparam("now"),
                                      or_(OUTBOX.c.attempts > 0, OUTBOX.c.next_attempt_at <= bindparam("settled")))
            .order_by(OUTBOX.c.next_attempt_at).limit(bindparam("limit")))
# Taking a message is one UPDATE: of two workers, one gets the row back and the other nothing.
_CLAIM = (update(OUTBOX).where(OUTBOX.c.id == bindparam("message_id"), _PENDING,
                               OUTBOX.c.next_attempt_at <= bindparam("now"))
          .values(attempts=OUTBOX.c.attempts + 1, next_attempt_at=bindparam("lease_until"))
          .returning(OUTBOX.c.id, OUTBOX.c.topic, OUTBOX.c.payload, OUTBOX.c.attempts, OUTBOX.c.dedupe_key))
_SENT = (update(OUTBOX).where(OUTBOX.c.id == bindparam("message_id"), _PENDING)
         .values(status="sent", sent_at=bindparam("now"), last_error=None))
_REDACT = update(OUTBOX).where(OUTBOX.c.id == bindparam("message_id")).values(payload=bindparam("payload"))
_FAILED = (update(OUTBOX).where(OUTBOX.c.id == bindparam("message_id"), _PENDING)
           .values(status=bindparam("status"), next_attempt_at=bindparam("retry_at"), last_error=bindparam("error")))
_RETRY = (update(OUTBOX).where(OUTBOX.c.id == bindparam("message_id"), OUTBOX.c.status == "dead")
          .values(status="pending", attempts=0, next_attempt_at=bindparam("now")))
_COUNTS = select(OUTBOX.c.status, func.count()).group_by(OUTBOX.c.status)

# Called after a commit with the ids it enqueued: the composition root sends them to the workers at once.
# Without it the scheduler's sweep (`due_messages`) finds them on its next tick.
_dispatchers: list[Callable[[list[int]], None]] = []


@dataclass(frozen=True)
class Message:
    id: int
    topic: str
    payload: dict
    attempts: int
    dedupe_key: str


def on_enqueued(dispatch: Callable[[list[int]], None] | None) -> None:
    """Call `dispatch(ids)` after each commit that enqueued messages (None: stop calling it)."""
    _dispatchers[:] = [dispatch] if dispatch else []


def lease_seconds() -> float:
    """How long a claimed message stays with its worker (GONGZHI_OUTBOX_LEASE_SECONDS, default 120)."""
    return float(os.environ.get("GONGZHI_OUTBOX_LEASE_SECONDS", "120"))


def enqueue(topic: str, *, key: str, payload: dict) -> int | None:
    """Write a message in the running command; a message with the same key is not written twice."""
    ids = enqueue_many([(topic, key, payload)])
    return ids[0] if ids else None


def enqueue_many(messages: list[tuple[str, str, dict]]) -> list[int]:
    """Write (topic, key, payload) messages in the running command; return the ids of those that are new."""
    if not messages:
        return []
    unit = current_unit()
    now = utcnow()
    statement = insert_skipping_taken(unit.conn, OUTBOX, keys=["dedupe_key"]).returning(OUTBOX.c.id)
    ids = list(unit.conn.execute(statement, [
        {"topic": topic, "dedupe_key": key, "payload": payload, "status": "pending", "attempts": 0,
         "next_attempt_at": now, "created_at": now} for topic, key, payload in messages]).scalars())
    if ids and _dispatchers:
        if not unit.outbox_ids:
            unit.after_commit(lambda: _dispatch(list(unit.outbox_ids)))
        unit.outbox_ids.extend(ids)
    return ids


def _dispatch(ids: list[int]) -> None:
    # The change is committed: a broker that is down must not turn it into an error. The messages
    # wait in the table for the scheduler's sweep.
    for dispatch in _dispatchers:
        try:
            dispatch(ids)
        except Exception:
            log.exception("outbox messages %s not dispatched now; the scheduler will send them", ids)


def sweep_grace_seconds() -> float:
    """How long a new message's own job has before the sweep sends another (GONGZHI_OUTBOX_SWEEP_GRACE_SECONDS,
    default 30)."""
    return float(os.environ.get("GONGZHI_OUTBOX_SWEEP_GRACE_SECONDS", "30"))


def due_messages(*, now: datetime, limit: int = 1000) -> list[int]:
    """The ids of pending messages whose time has come: a retry, an expired lease, or a first delivery whose
    job has not taken it within the grace (it was lost, or the message was written without a broker)."""
    settled = now - timedelta(seconds=sweep_grace_seconds())
    return list(connection().execute(_DUE_IDS, {"now": now, "settled": settled, "limit": limit}).scalars())


def claim(message_id: int, *, now: datetime) -> Message | None:
    """Lease a due message to this worker; None when it is not due, already taken, sent or dead."""
    with transaction() as unit:
        row = unit.conn.execute(_CLAIM, {"message_id": message_id, "now": now,
                                         "lease_until": now + timedelta(seconds=lease_seconds())}).first()
    return Message(row.id, row.topic, row.payload, row.attempts, row.dedupe_key) if row else None


def mark_sent(message: Message, *, now: datetime) -> None:
    """Record the delivery. A message marked `private` (a survey link, say) loses its text once sent."""
    with transaction() as unit:
        if unit.conn.execute(_SENT, {"message_id": message.id, "now": now}).rowcount and message.payload.get("private"):
            unit.conn.execute(_REDACT, {"message_id": message.id, "payload": {
                **{key: value for key, value in message.payload.items() if key != "text"}, "text": None}})


def retry_delay(attempts: int) -> timedelta:
    """Back off 30 s, 1 min, 2 min... up to an hour between attempts."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def mark_failed(message: Message, *, error: str, now: datetime) -> str:
    """Schedule the next attempt, or give up: return the message's new status (pending or dead)."""
    status = "dead" if message.attempts >= MAX_ATTEMPTS else "pending"
    with transaction() as unit:
        unit.conn.execute(_FAILED, {"message_id": message.id, "status": status, "error": error[:2000],
                                    "retry_at": now + retry_delay(message.attempts)})
    return status


def retry_dead(message_id: int) -> None:
    """Give a dead message a fresh set of attempts (an administrator's decision)."""
    with transaction() as unit:
        if unit.conn.execute(_RETRY, {"message_id": message_id, "now": utcnow()}).rowcount:
            return
        status = unit.conn.execute(select(OUTBOX.c.status).where(OUTBOX.c.id == message_id)).scalar()
    if status is None:
        raise NotFoundError(f"outbox message {message_id} does not exist")
    raise ConflictError(f"outbox message {message_id} is {status}; only dead messages can be retried")


def list_messages(*, status: str | None = None, limit: int = 100) -> list[dict]:
    """The latest messages, newest first, optionally of one status."""
    query = select(OUTBOX).order_by(OUTBOX.c.id.desc()).limit(limit)
    if status:
        query = query.where(OUTBOX.c.status == status)
    return [dict(row._mapping) for row in connection().execute(query)]


def status_counts() -> dict[str, int]:
    return {status: count for status, count in connection().execute(_COUNTS)}

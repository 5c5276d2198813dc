"""The background jobs. Each actor takes ids, runs one engine command, and holds no state.

Every job can be sent twice (two schedulers, a redelivery after a crash) and still acts once: the
engine takes its rows with locks and unique keys. A failed job is not retried by dramatiq: the rows it
left due are found again by the scheduler's next tick.
"""

import logging
from dataclasses import dataclass

import dramatiq

from engine import EngineError, fire_case_timers
from engine.db import utcnow
from engine.notifications import warn_due_soon
from engine.reports import generate_due_reports
from engine.sla import mark_breaches, send_due_supervision
from integrations.delivery import deliver
from integrations.metrics import DELIVERIES

log = logging.getLogger(__name__)


def fire_timers(case_id: int) -> None:
    try:
        if not fire_case_timers(case_id=case_id, now=utcnow()):
            log.debug("case %s: no timer due, or another worker has it", case_id)
    except EngineError as error:  # audited and set aside by the engine; the scheduler sends it again later
        log.warning("case %s: timers not fired: %s", case_id, error.message)


def find_breaches() -> None:
    mark_breaches(now=utcnow())


def send_supervision() -> None:
    send_due_supervision(now=utcnow())


def announce_due_soon() -> None:
    warn_due_soon(now=utcnow())


def deliver_message(message_id: int) -> None:
    outcome = deliver(message_id)
    DELIVERIES.labels(outcome).inc()
    log.debug("outbox message %s: %s", message_id, outcome)


def generate_reports() -> None:
    written = generate_due_reports(now=utcnow())
    if written:
        log.info("periodic reports: %d written", written)


@dataclass(frozen=True)
class Actors:
    fire_timers: dramatiq.Actor
    find_breaches: dramatiq.Actor
    send_supervision: dramatiq.Actor
    deliver_message: dramatiq.Actor
    generate_reports: dramatiq.Actor
    announce_due_soon: dramatiq.Actor


def declare_actors(broker: dramatiq.Broker, *, queue_name: str = "gongzhi") -> Actors:
    """Declare the actors on `broker`, on one queue."""
    def declare(fn):
        return dramatiq.actor(fn, broker=broker, queue_name=queue_name, actor_name=fn.__name__, max_retries=0)
    return Actors(*(declare(fn) for fn in (fire_timers, find_breaches, send_supervision, deliver_message,
                                           generate_reports, announce_due_soon)))

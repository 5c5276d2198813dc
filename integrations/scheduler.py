"""The periodic tick: send the jobs that the database says are due.

Running several schedulers is safe, only wasteful: a job sent twice acts once.
"""

import logging
import threading
from datetime import datetime

import dramatiq

from engine import due_case_ids, outbox
from engine.calendar import calendar_status, platform_zone
from engine.db import utcnow
from integrations.actors import Actors

log = logging.getLogger(__name__)


def tick(actors: Actors, *, now: datetime | None = None) -> dict[str, int]:
    """Send one round of due jobs; return how many of each kind were sent."""
    now = now or utcnow()
    cases = due_case_ids(now=now)
    for case_id in cases:
        actors.fire_timers.send(case_id)
    # The chain's steps due at the breach go out in the same round as the breach is found.
    dramatiq.pipeline([actors.find_breaches.message_with_options(pipe_ignore=True),
                       actors.send_supervision.message_with_options(pipe_ignore=True)]).run()
    actors.announce_due_soon.send()
    messages = outbox.due_messages(now=now)
    for message_id in messages:
        actors.deliver_message.send(message_id)
    actors.generate_reports.send()  # the weekly and monthly reports (定期通报) not yet written, if any
    return {"timers": len(cases), "outbox": len(messages)}


def warn_uncovered_years() -> list[int]:
    """Log a warning for this year and next when their official schedule is not loaded; return them."""
    missing = [status.year for status in calendar_status(today=utcnow().astimezone(platform_zone()).date())
               if not status.covered]
    for year in missing:
        log.warning("no working-day calendar for %s: its deadlines count weekends off only until its official "
                    "schedule is loaded with `gongzhi calendar import FILE`", year)
    return missing


def run_forever(app, actors: Actors, *, interval: float, stop: threading.Event) -> None:
    """Tick every `interval` seconds until `stop` is set; a failing tick is logged and the next one retries."""
    with app.app_context():
        warn_uncovered_years()
    while not stop.is_set():
        with app.app_context():
            try:
                sent = tick(actors)
                if sent["timers"] or sent["outbox"]:
                    log.info("scheduler sent %(timers)d timer job(s), %(outbox)d delivery job(s)", sent)
            except Exception:
                log.exception("scheduler tick failed")
        stop.wait(interval)

"""How much work is waiting: the figures an operator's monitoring reads at every scrape.

Four small queries, each on an index. Nothing here deserializes a workflow.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, case, func, select, text

from engine.db import UTCDateTime
from engine.models import ACTIVE_TASK_STATUSES, Case, OutboxMessage, Task
from engine.transaction import connection

TASK = Task.__table__
OUTBOX = OutboxMessage.__table__
CASE = Case.__table__
_NOW = bindparam("now", type_=UTCDateTime())

# ix_task_status_due (status, due_at) answers both counts without reading the table on PostgreSQL.
_TASKS = (select(TASK.c.status, func.count(), func.count(case((TASK.c.due_at < _NOW, 1))))
          .where(TASK.c.status.in_(ACTIVE_TASK_STATUSES)).group_by(TASK.c.status))
# The partial index ix_outbox_due holds exactly the pending messages, keyed by next_attempt_at.
_PENDING = select(func.count(), func.min(OUTBOX.c.next_attempt_at)).where(text("status = 'pending'"))
# The partial index ix_outbox_dead: the sent messages, which pile up, are never read.
_DEAD = select(func.count()).select_from(OUTBOX).where(text("status = 'dead'"))
# ix_case_status_timer (status, next_timer_at).
_TIMERS_DUE = select(func.count()).where(CASE.c.status == "running", CASE.c.next_timer_at <= _NOW)


@dataclass(frozen=True)
class Backlog:
    active_tasks: dict[str, int]  # open and claimed tasks, by status
    overdue_tasks: int  # active tasks whose deadline has passed (marked by the SLA monitor or not yet)
    outbox: dict[str, int]  # messages pending delivery (first attempt or retry) and dead
    outbox_lag_seconds: float  # how long the longest-waiting due message has been due; 0 when none is
    timers_due: int  # running cases whose timer deadline has come and not yet been fired


def backlog(*, now: datetime) -> Backlog:
    """Count the waiting work at `now`: active and overdue tasks, the outbox, the timers due."""
    conn = connection()
    active = {status: 0 for status in ACTIVE_TASK_STATUSES}
    overdue = 0
    for status, count, late in conn.execute(_TASKS, {"now": now}):
        active[status] = count
        overdue += late
    pending, oldest_due = conn.execute(_PENDING).one()
    lag = max((now - oldest_due).total_seconds(), 0.0) if oldest_due is not None else 0.0
    return Backlog(
        active_tasks=active,
        overdue_tasks=overdue,
        outbox={"pending": pending, "dead": conn.execute(_DEAD).scalar_one()},
        outbox_lag_seconds=lag,
        timers_due=conn.execute(_TIMERS_DUE, {"now": now}).scalar_one(),
    )

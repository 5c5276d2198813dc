"""The SLA monitor: find the deadlines that passed, mark their tasks overdue, run the supervision chain.

Both passes read indexed columns only (task.due_at under a partial index, supervision_step.send_at) and
never load a workflow. Several monitors may run at once: rows are taken with FOR UPDATE SKIP LOCKED on
PostgreSQL, a task is marked overdue by an UPDATE that only matches it once, and each breach's chain
and each notice have unique keys.
"""

import logging
import os
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, select, text, update

from engine import audit
from engine.calendar import WorkingCalendar, local_minute
from engine.case_store import CASE, TASK
from engine.models import SLA_WATCH, Agency, SupervisionStep
from engine.notices import Recipient, send_notices
from engine.transaction import transaction
from processes.supervision import DEFAULT_CHAIN, ChainStep, parse_chain

log = logging.getLogger(__name__)

STEP = SupervisionStep.__table__
AGENCY = Agency.__table__

_NEW_BREACHES = (select(TASK.c.id).where(SLA_WATCH, TASK.c.due_at < bindparam("now"))
                 .order_by(TASK.c.due_at).limit(bindparam("limit"))
                 .with_for_update(skip_locked=True, key_share=True))
# By primary key: folded into one statement with the scan, PostgreSQL plans a hash join over every task.
_MARK_OVERDUE = (update(TASK).where(TASK.c.id.in_(bindparam("task_ids", expanding=True)), TASK.c.overdue_at.is_(None))
                 .values(overdue_at=bindparam("now"))
                 .returning(TASK.c.id, TASK.c.case_id, TASK.c.due_at, TASK.c.candidate_agency_id))
_INSERT_STEPS = STEP.insert()

_DUE_STEPS = (
    select(STEP.c.id, STEP.c.task_id, STEP.c.case_id, STEP.c.step, STEP.c.kind, STEP.c.targets,
           STEP.c.breached_due_at, TASK.c.name.label("task_name"), TASK.c.status.label("task_status"),
           TASK.c.due_at.label("task_due_at"), TASK.c.overdue_at, TASK.c.candidate_agency_id,
           TASK.c.claimed_by_id, CASE.c.title.label("case_title"))
    .select_from(STEP.join(TASK, STEP.c.task_id == TASK.c.id).join(CASE, STEP.c.case_id == CASE.c.id))
    .where(text("supervision_step.status = 'pending'"), STEP.c.send_at <= bindparam("now"))
    .order_by(STEP.c.send_at).limit(bindparam("limit")).with_for_update(skip_locked=True, key_share=True, of=STEP)
)
_CLOSE_STEPS = (update(STEP).where(STEP.c.id.in_(bindparam("step_ids", expanding=True)))
                .values(status=bindparam("status"), sent_at=bindparam("now")))
_AGENCIES = select(AGENCY.c.id, AGENCY.c.parent_id, AGENCY.c.path, AGENCY.c.name).where(
    AGENCY.c.id.in_(bindparam("agency_ids", expanding=True)))
_DISTRICTS = select(AGENCY.c.id, AGENCY.c.path).where(AGENCY.c.level == "district")

_MESSAGES = {
    "reminder": "【超时提醒】案件 #{case_id}「{case_title}」的任务「{task_name}」已于 {due} 超过办理时限，请尽快办理。",
    "supervision": "【督办通知】{agency}的任务「{task_name}」（案件 #{case_id}「{case_title}」）已于 {due} 超时，"
                   "请督促办理并反馈。",
    "report": "【超时通报】{agency}的任务「{task_name}」（案件 #{case_id}「{case_title}」）自 {due} 起超时未办结，"
              "特此通报。",
}


@cache
def _chain_from(text_: str | None) -> tuple[ChainStep, ...]:
    return parse_chain(text_) if text_ else DEFAULT_CHAIN


def supervision_chain() -> tuple[ChainStep, ...]:
    """The configured chain (GONGZHI_SUPERVISION_CHAIN, JSON), else the default one.

    Raises processes.supervision.ChainConfigError saying what to fix in the setting.
    """
    return _chain_from(os.environ.get("GONGZHI_SUPERVISION_CHAIN") or None)


def _send_at(step: ChainStep, due_at: datetime, calendar: WorkingCalendar) -> datetime:
    if step.after is None:
        return due_at
    if step.after.unit == "working_days":
        return calendar.add_working_days(due_at, step.after.amount)
    return due_at + timedelta(**{step.after.unit: step.after.amount})


def mark_breaches(*, now: datetime, limit: int = 1000) -> int:
    """Mark the tasks whose deadline passed as overdue and schedule their supervision chains.

    Returns how many breaches this pass found; a breach found by another monitor is not found again.
    """
    chain = supervision_chain()
    with transaction() as unit:
        task_ids = unit.conn.execute(_NEW_BREACHES, {"now": now, "limit": limit}).scalars().all()
        breaches = unit.conn.execute(_MARK_OVERDUE, {"now": now, "task_ids": task_ids}).all() if task_ids else []
        if not breaches:
            return 0
        calendar = WorkingCalendar()
        unit.conn.execute(_INSERT_STEPS, [
            {"task_id": row.id, "case_id": row.case_id, "step": step.name, "kind": step.kind,
             "targets": ",".join(step.targets), "breached_due_at": row.due_at,
             "send_at": _send_at(step, row.due_at, calendar), "status": "pending"}
            for row in breaches for step in chain])
        for row in breaches:
            audit.record("overdue", case_id=row.case_id, task_id=row.id, at=now,
                         data={"due_at": row.due_at.isoformat(), "found_at": now.isoformat()})
    log.info("SLA monitor: %d new breach(es)", len(breaches))
    return len(breaches)


class _Agencies:
    """The agencies a batch of steps concerns, read once per pass."""

    def __init__(self, conn, agency_ids: set[int]):
        self.rows = {row.id: row for row in conn.execute(_AGENCIES, {"agency_ids": sorted(agency_ids)})}
        self.districts = conn.execute(_DISTRICTS).all()

    def district_of(self, path: str) -> int | None:
        return next((district.id for district in self.districts if path.startswith(district.path)), None)


def _recipients(agencies: _Agencies, step) -> list[Recipient]:
    agency = agencies.rows.get(step.candidate_agency_id)
    if agency is None:
        return []
    found = []
    for target in step.targets.split(","):
        if target == "assignee" and step.claimed_by_id:
            found.append(Recipient(agency.id, step.claimed_by_id))
        elif target == "agency":
            found.append(Recipient(agency.id, None))
        elif target == "supervisor_above" and agency.parent_id:
            found.append(Recipient(agency.parent_id, None))
        elif target == "district" and (district := agencies.district_of(agency.path)):
            found.append(Recipient(district, None))
    return list(dict.fromkeys(found))


def _still_breached(step) -> bool:
    # Closed meanwhile, or an approved extension moved the deadline: the chain stops.
    return (step.task_status in ("open", "claimed") and step.overdue_at is not None
            and step.task_due_at == step.breached_due_at)


def _message(step, agencies: _Agencies) -> str:
    agency = agencies.rows.get(step.candidate_agency_id)
    return _MESSAGES[step.kind].format(
        case_id=step.case_id, case_title=step.case_title or "", task_name=step.task_name,
        agency=agency.name if agency else "",
        due=local_minute(step.breached_due_at))


def send_due_supervision(*, now: datetime, limit: int = 500) -> int:
    """Send the supervision steps whose time has come; return how many notices went out."""
    with transaction() as unit:
        conn = unit.conn
        steps = conn.execute(_DUE_STEPS, {"now": now, "limit": limit}).all()
        if not steps:
            return 0
        live = [step for step in steps if _still_breached(step)]
        if cancelled := [step.id for step in steps if not _still_breached(step)]:
            conn.execute(_CLOSE_STEPS, {"step_ids": cancelled, "status": "cancelled", "now": now})
        if not live:
            return 0
        agencies = _Agencies(conn, {step.candidate_agency_id for step in live})
        drafts = []
        for step in live:
            recipients = _recipients(agencies, step)
            message = _message(step, agencies)
            drafts += [{"kind": step.kind, "key": f"step:{step.id}:{r.agency_id}:{r.user_id}", "recipient": r,
                        "message": message, "task_id": step.task_id, "case_id": step.case_id, "step_id": step.id}
                       for r in recipients]
            audit.record("supervision_sent", case_id=step.case_id, task_id=step.task_id, at=now,
                         data={"step": step.step, "kind": step.kind,
                               "recipients": [[r.agency_id, r.user_id] for r in recipients]})
        sent = send_notices(drafts, at=now)
        conn.execute(_CLOSE_STEPS, {"step_ids": [step.id for step in live], "status": "sent", "now": now})
    return sent

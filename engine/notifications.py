"""The notices that follow from what commands do: a task assigned to an agency, a matter sent back,
a case closed (to the person who reported it, if they agreed), a deadline approaching.

Assignments and returns reach only agencies that have a channel (their staff see new tasks in their
inbox anyway); the INSERT that creates task rows returns whether their agencies listen, so a command
that creates tasks reads nothing more when nobody does.
"""

import os
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import bindparam, exists, select

from engine import outbox
from engine.calendar import local_minute
from engine.case_store import TASK
from engine.models import SLA_WATCH
from engine.notices import CHANNEL, NOTICE, Recipient, send_notices
from engine.transaction import current_unit, transaction
from processes.notice_templates import NO_DEADLINE, TEMPLATES

_LISTENING = select(CHANNEL.c.agency_id).where(
    CHANNEL.c.active.is_(True), CHANNEL.c.agency_id.in_(bindparam("agency_ids", expanding=True))).distinct()
_DUE_SOON = (
    select(TASK.c.id, TASK.c.case_id, TASK.c.name, TASK.c.due_at, TASK.c.candidate_agency_id, TASK.c.claimed_by_id)
    .where(SLA_WATCH, TASK.c.due_at >= bindparam("now"), TASK.c.due_at < bindparam("until"),
           TASK.c.candidate_agency_id.is_not(None),
           ~exists().where(NOTICE.c.task_id == TASK.c.id, NOTICE.c.kind == "due_soon"))
    .order_by(TASK.c.due_at).limit(bindparam("limit")).with_for_update(skip_locked=True, key_share=True)
)


def announce_tasks(case_id: int, created: list[tuple[int, dict, object]], *,
                   listening: Collection[int] | None = None) -> None:
    """Tell the agencies that listen that tasks reached them (in the running command).

    `created` holds (task id, task row values, candidate agency) of the new or reassigned tasks; `listening`
    the ids of their agencies that have an active channel, when the caller read them already (the task
    INSERT returns them), else they are read here. A command that sends a matter back sets
    `unit.context["returned"]` to its reason, and the notices say so.
    """
    agencies = {agency.id: agency for _, _, agency in created if agency is not None}
    if not agencies:
        return
    unit = current_unit()
    if listening is None:
        listening = set(unit.conn.execute(_LISTENING, {"agency_ids": sorted(agencies)}).scalars())
    if not listening:
        return
    reason = unit.context.get("returned")
    kind = "returned" if reason else "assignment"
    send_notices([
        {"kind": kind, "key": f"{kind}:{task_id}:{agency.id}", "recipient": Recipient(agency.id, None),
         "task_id": task_id, "case_id": case_id, "message": TEMPLATES[kind].format(
             case_id=case_id, task_name=values["name"], agency=agency.name, reason=reason,
             due=local_minute(values["due_at"]) if values["due_at"] else NO_DEADLINE)}
        for task_id, values, agency in created if agency is not None and agency.id in listening],
        at=created[0][1]["created_at"])


def announce_closure(case_id: int, data: dict) -> None:
    """Text the reporting party that their matter is closed, if they agreed to hear from the platform."""
    phone = data.get("caller_phone")
    if data.get("notify_caller") is True and phone:
        outbox.enqueue("sms", key=f"closed:{case_id}",
                       payload={"to": phone, "text": TEMPLATES["closed"].format(case_id=case_id)})


def due_soon_window() -> timedelta:
    """How long before its deadline a task is announced as due soon (GONGZHI_DUE_SOON_MINUTES, default 120)."""
    return timedelta(minutes=float(os.environ.get("GONGZHI_DUE_SOON_MINUTES", "120")))


def warn_due_soon(*, now: datetime, limit: int = 1000) -> int:
    """Warn the assignee (or the agency) of each task whose deadline is near, once; return how many."""
    with transaction() as unit:
        rows = unit.conn.execute(_DUE_SOON, {"now": now, "until": now + due_soon_window(), "limit": limit}).all()
        return send_notices([
            {"kind": "due_soon", "key": f"due_soon:{row.id}:{row.due_at.isoformat()}",
             "recipient": Recipient(row.candidate_agency_id, row.claimed_by_id), "task_id": row.id,
             "case_id": row.case_id, "message": TEMPLATES["due_soon"].format(
                 case_id=row.case_id, task_name=row.name, due=local_minute(row.due_at))}
            for row in rows], at=now)

"""Append events to the audit log (never updated, never deleted)."""

from datetime import datetime

from engine.db import db, utcnow
from engine.models import AuditEvent

EVENTS = (
    "case_started", "task_created", "claimed", "unclaimed", "completed", "returned", "cancelled",
    "case_completed", "timer_fired",
)


def record(event: str, *, case_id: int | None, task_id: int | None = None, actor_id: int | None = None,
           data: dict | None = None, at: datetime | None = None) -> None:
    """Add an audit event to the current transaction."""
    assert event in EVENTS, event
    db.session.add(AuditEvent(event=event, case_id=case_id, task_id=task_id, actor_id=actor_id, data=data,
                              at=at or utcnow()))

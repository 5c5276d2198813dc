"""Append events to the audit log (never updated, never deleted).

Events are collected during a command and written with one INSERT just before it commits, so a command
that fails writes none.
"""

from datetime import datetime

from sqlalchemy import insert

from engine.db import db, utcnow
from engine.models import AuditEvent

EVENTS = (
    "case_started", "task_created", "claimed", "unclaimed", "completed", "returned", "cancelled",
    "case_completed", "timer_fired",
)
_PENDING = "gongzhi.pending_audit_events"
_INSERT = insert(AuditEvent.__table__)


def record(event: str, *, case_id: int, task_id: int | None = None, actor_id: int | None = None,
           data: dict | None = None, at: datetime | None = None) -> None:
    """Add an audit event to the current command."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    db.session.info.setdefault(_PENDING, []).append({
        "event": event, "case_id": case_id, "task_id": task_id, "actor_id": actor_id, "data": data,
        "at": at or utcnow()})


def write_pending() -> None:
    """Insert the command's events (called by the transaction just before it commits)."""
    pending = db.session.info.pop(_PENDING, None)
    if pending:
        db.session.execute(_INSERT, pending)


def discard_pending() -> None:
    db.session.info.pop(_PENDING, None)

"""Append events to the audit log (never updated, never deleted).

Events are collected during a command; its transaction writes them with one INSERT just before it
commits, so a command that fails writes none.
"""

from datetime import datetime

from engine.db import utcnow
from engine.transaction import current_unit

EVENTS = (
    "case_started", "task_created", "claimed", "unclaimed", "completed", "returned", "cancelled",
    "case_completed", "timer_fired", "reassigned", "extension_requested", "extension_approved",
    "extension_refused", "overdue", "supervision_sent", "calendar_imported", "deadline_recomputed",
    "timer_failed",
    "supervision_notice",
)


def record(event: str, *, case_id: int | None, task_id: int | None = None, actor_id: int | None = None,
           data: dict | None = None, at: datetime | None = None) -> None:
    """Add an audit event to the running command."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    current_unit().audit_events.append({
        "event": event, "case_id": case_id, "task_id": task_id, "actor_id": actor_id, "data": data,
        "at": at or utcnow()})

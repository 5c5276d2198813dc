"""Counts that tell an operator the platform is alive and working."""

from sqlalchemy import func, select

from engine.db import db
from engine.models import ACTIVE_TASK_STATUSES, Case, ProcessVersion, Task


def platform_status() -> dict[str, int]:
    """Count deployed processes, running cases and open tasks (three indexed counts)."""
    return {
        "processes": db.session.scalar(select(func.count(func.distinct(ProcessVersion.process_id)))),
        "running_cases": db.session.scalar(select(func.count()).where(Case.status == "running")),
        "open_tasks": db.session.scalar(select(func.count()).where(Task.status.in_(ACTIVE_TASK_STATUSES))),
    }

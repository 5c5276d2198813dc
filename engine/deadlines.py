"""Turn a task's declared deadline into a due time."""

from datetime import datetime, timedelta

from processes.deadlines import parse_deadline


def _add_working_days(start: datetime, days: int) -> datetime:
    # Weekends only, for now: the official holiday calendar (调休) is not modelled yet.
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def due_at(declaration: str | None, start: datetime) -> datetime | None:
    """Return when a task declared with `declaration` ("24 hours", "2 working days") falls due."""
    if not declaration:
        return None
    deadline = parse_deadline(declaration)
    if deadline.unit == "working_days":
        return _add_working_days(start, deadline.amount)
    return start + timedelta(**{deadline.unit: deadline.amount})

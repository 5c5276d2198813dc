"""Turn a task's declared deadline into a due time.

Minutes, hours and days are elapsed time. "N working days" follows the working-day calendar
(engine/calendar.py): the same local clock time on the N-th working day after the start, counted from
the next opening time when the start is outside office hours or on a day off.
"""

from datetime import datetime, timedelta

from engine.calendar import WorkingCalendar
from processes.deadlines import parse_deadline


def due_at(declaration: str | None, start: datetime, calendar: WorkingCalendar | None = None) -> datetime | None:
    """Return when a task declared with `declaration` ("24 hours", "2 working days") falls due.

    Pass the command's `calendar` when several tasks are computed, so the calendar is read once.
    """
    if not declaration:
        return None
    deadline = parse_deadline(declaration)
    if deadline.unit == "working_days":
        return (calendar or WorkingCalendar()).add_working_days(start, deadline.amount)
    return start + timedelta(**{deadline.unit: deadline.amount})

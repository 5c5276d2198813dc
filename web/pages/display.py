"""How pages show times, deadlines, statuses, stages and audit events, in the page's language."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.calendar import local_minute
from engine.db import utcnow

SOON = timedelta(hours=24)  # less time left than this shows amber

STAGES = {
    "transfer": _l("Transfer"), "handling": _l("Handling"), "feedback": _l("Feedback"),
    "tracking": _l("Tracking"), "return_visit": _l("Return visit"), "mediation": _l("Mediation"),
    "intake": _l("Intake"), "approval": _l("Approval"), "pickup": _l("Pick-up"),
}
TASK_STATUSES = {
    "open": _l("Unclaimed"), "claimed": _l("Claimed"), "completed": _l("Completed"),
    "returned": _l("Returned"), "cancelled": _l("Cancelled"),
}
CASE_STATUSES = {"running": _l("In progress"), "completed": _l("Closed"), "cancelled": _l("Cancelled")}
EVENTS = {
    "case_started": _l("Case started"), "task_created": _l("Task created"), "claimed": _l("Claimed"),
    "unclaimed": _l("Unclaimed"), "completed": _l("Completed"), "returned": _l("Returned"),
    "cancelled": _l("Task cancelled"), "case_completed": _l("Case closed"), "timer_fired": _l("Timer fired"),
    "reassigned": _l("Reassigned"), "extension_requested": _l("Extension requested"),
    "extension_approved": _l("Extension approved"), "extension_refused": _l("Extension refused"),
    "overdue": _l("Overdue"), "supervision_sent": _l("Supervision notice sent"),
    "supervision_notice": _l("Supervision notice from a supervisor"),
}


@dataclass(frozen=True)
class TimeLeft:
    level: str  # ok, soon, overdue, none
    text: str


def duration(span: timedelta) -> str:
    """Say a span of time roughly: days and hours, hours and minutes, or minutes."""
    minutes = max(int(span.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h", days=days, hours=hours)
    if hours:
        return _("%(hours)d h %(minutes)d min", hours=hours, minutes=minutes)
    return _("%(minutes)d min", minutes=minutes)


def time_left(due_at: datetime | None, now: datetime | None = None) -> TimeLeft:
    """Say how long is left until a deadline, or how long it is overdue, with a colour level."""
    if due_at is None:
        return TimeLeft("none", _("No deadline"))
    left = due_at - (now or utcnow())
    if left.total_seconds() < 0:
        return TimeLeft("overdue", _("Overdue by %(duration)s", duration=duration(-left)))
    return TimeLeft("soon" if left < SOON else "ok", _("%(duration)s left", duration=duration(left)))


def local_time(moment: datetime | None) -> str:
    """Show a UTC time in the platform's time zone."""
    return local_minute(moment) if moment else ""


def _label(table: dict):
    return lambda code: str(table.get(code, code or ""))


def init_display(app: Flask) -> None:
    """Make the display helpers available to templates as filters."""
    app.add_template_filter(time_left)
    app.add_template_filter(local_time)
    app.add_template_filter(_label(STAGES), "stage_label")
    app.add_template_filter(_label(TASK_STATUSES), "task_status_label")
    app.add_template_filter(_label(CASE_STATUSES), "case_status_label")
    app.add_template_filter(_label(EVENTS), "event_label")

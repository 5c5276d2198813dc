"""Load a year's official schedule (published by the State Council each November) and recompute deadlines.

The file is JSON: {"year": 2027, "holidays": {"2027-01-01": "元旦", ...}, "workdays": {"2027-02-07": "春节调休"}}.
Every other Monday to Friday is a working day, every other Saturday and Sunday is not.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import bindparam, delete, select, update

from engine import audit
from engine.calendar import DAY, INSERT_DAYS, INSERT_YEARS, YEAR, WorkingCalendar, platform_zone
from engine.db import utcnow
from engine.errors import InvalidInputError
from engine.models import ACTIVE_TASK_STATUSES, Task
from engine.transaction import transaction
from processes.deadlines import DeadlineSyntaxError, parse_deadline

TASK = Task.__table__

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_KEYS = {"year", "holidays", "workdays"}

_DELETE_DAYS = delete(DAY).where(DAY.c.day.between(bindparam("first"), bindparam("last")))
_DELETE_YEAR = delete(YEAR).where(YEAR.c.year == bindparam("year"))
# Only a task whose counting reached into the year can change: created before it ended, due after it began.
_TASKS_REACHING = select(TASK.c.id, TASK.c.case_id, TASK.c.created_at, TASK.c.due_at, TASK.c.deadline).where(
    TASK.c.status.in_(ACTIVE_TASK_STATUSES), TASK.c.deadline.is_not(None),
    TASK.c.created_at < bindparam("year_ends"), TASK.c.due_at >= bindparam("year_begins"))
# A task marked overdue against its old deadline is watched again: the monitor judges the new one.
_SET_DUE = (update(TASK).where(TASK.c.id == bindparam("task_id"))
            .values(due_at=bindparam("new_due"), overdue_at=None))


@dataclass(frozen=True)
class ImportResult:
    year: int
    holidays: int
    workdays: int
    replaced: bool  # the year had a schedule before
    tasks_recomputed: int


def _days(schedule: dict, key: str, year: int, problems: dict[str, list[str]]) -> dict[date, str]:
    entries = schedule.get(key, {})
    if not isinstance(entries, dict):
        problems.setdefault(key, []).append('must be an object of dates and names, such as {"2027-01-01": "元旦"}')
        return {}
    days = {}
    for text, name in entries.items():
        try:
            day = date.fromisoformat(text) if _ISO_DATE.match(text) else None
        except ValueError:
            day = None
        if day is None:
            problems.setdefault(key, []).append(f"{text!r} is not a date: write it as YYYY-MM-DD")
        elif day.year != year:
            problems.setdefault(key, []).append(f"{text} is not in {year}: put it in that year's file")
        elif not isinstance(name, str) or not name.strip():
            problems.setdefault(key, []).append(f"{text}: give the day a name, such as \"春节\"")
        elif key == "workdays" and day.weekday() < 5:
            problems.setdefault(key, []).append(
                f"{text} is a weekday, a working day anyway: list only the weekend days worked (调休)")
        else:
            days[day] = name.strip()
    return days


def validate_schedule(schedule: object) -> tuple[int, dict[date, str], dict[date, str]]:
    """Check a year's schedule; return its year, holidays and workdays, or raise InvalidInputError."""
    if not isinstance(schedule, dict):
        raise InvalidInputError('the schedule must be a JSON object: {"year": 2027, "holidays": {...}, '
                                '"workdays": {...}}')
    problems: dict[str, list[str]] = {}
    unknown = sorted(set(schedule) - _KEYS)
    if unknown:
        problems["(file)"] = [f"unknown key {key!r}: only year, holidays and workdays are read" for key in unknown]
    year = schedule.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InvalidInputError(f"the schedule's year is {year!r}: write it as a number, such as \"year\": 2027")
    holidays = _days(schedule, "holidays", year, problems)
    workdays = _days(schedule, "workdays", year, problems)
    for day in sorted(holidays.keys() & workdays.keys()):
        problems.setdefault("workdays", []).append(f"{day} is also a holiday: a day is one or the other")
    if problems:
        raise InvalidInputError(f"the {year} schedule has errors; fix them and import it again", details=problems)
    return year, holidays, workdays


def import_year(*, schedule: dict, source: str = "import") -> ImportResult:
    """Load (or replace) one year's official schedule, then recompute the working-day deadlines of the
    open and claimed tasks whose counting reached into that year, all in one transaction.
    """
    year, holidays, workdays = validate_schedule(schedule)
    rows = [{"day": day, "is_workday": False, "name": name, "source": source} for day, name in holidays.items()]
    rows += [{"day": day, "is_workday": True, "name": name, "source": source} for day, name in workdays.items()]
    zone = platform_zone()
    with transaction() as unit:
        conn = unit.conn
        replaced = conn.execute(_DELETE_YEAR, {"year": year}).rowcount > 0
        conn.execute(_DELETE_DAYS, {"first": date(year, 1, 1), "last": date(year, 12, 31)})
        if rows:
            conn.execute(INSERT_DAYS, rows)
        conn.execute(INSERT_YEARS, {"year": year, "source": source, "loaded_at": utcnow()})
        tasks = conn.execute(_TASKS_REACHING, {
            "year_begins": datetime.combine(date(year, 1, 1), time(), zone),
            "year_ends": datetime.combine(date(year + 1, 1, 1), time(), zone)}).all()
        calendar = WorkingCalendar()
        changes = [{"task_id": task.id, "case_id": task.case_id, "old_due": task.due_at,
                    "new_due": calendar.add_working_days(task.created_at, deadline.amount)}
                   for task in tasks if (deadline := _working_days(task.deadline)) is not None]
        changes = [change for change in changes if change["new_due"] != change["old_due"]]
        if changes:
            conn.execute(_SET_DUE, changes)
        audit.record("calendar_imported", case_id=None, data={
            "year": year, "source": source, "holidays": len(holidays), "workdays": len(workdays),
            "replaced": replaced, "deadlines_moved": len(changes)})
        for change in changes:
            audit.record("deadline_recomputed", case_id=change["case_id"], task_id=change["task_id"], data={
                "from": change["old_due"].isoformat(), "to": change["new_due"].isoformat(), "year": year})
    return ImportResult(year, len(holidays), len(workdays), replaced, len(changes))


def _working_days(declaration: str):
    try:
        deadline = parse_deadline(declaration)
    except DeadlineSyntaxError:  # deploy rejects these; an old row may still hold one
        return None
    return deadline if deadline.unit == "working_days" else None

"""200 days of cases worked through the real processes agree with a second computation from the audit log.

One case a day, the processes in turn, each task claimed and completed as the demo users would, with the
clock moved on between steps. The audit log is then read independently (no reporting column, no indicator
query) and compared with the indicators, month by month.
"""

import random
import statistics
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from engine import claim_task, complete_task, start_case
from engine.db import db
from engine.demo.simulate import _Actors, sample_form
from engine.indicators import Period, Scope, indicators
from engine.indicators.scope import HANDLING_STAGES, local_day
from engine.models import AuditEvent, ProcessVersion, Task
from processes.forms import UnknownFormError, load_form, start_form_name

DAYS = 200
START = datetime(2025, 1, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
LOCATIONS = ("sjm-duntou-g1", "sjm-siwan-g1", "dg-haihua-g1", "dg-puxi-g1")


def _work_one_case(process_id: str, rng: random.Random, actors: _Actors, clock, location: str) -> None:
    try:
        schema = load_form(start_form_name(process_id))
    except UnknownFormError:
        schema = {}
    case = start_case(process_id=process_id, data={**sample_form(schema, rng), "location": location})
    for _ in range(40):
        if not case.open_tasks:
            return
        task = case.open_tasks[0]
        username = actors.for_agency(task.agency_code)
        clock.shift(timedelta(minutes=rng.randint(5, 240)))
        claim_task(task_id=task.id, username=username)
        clock.shift(timedelta(minutes=rng.randint(5, 600)))
        case = complete_task(task_id=task.id, username=username,
                             data=sample_form(load_form(task.form), rng) if task.form else {})


@pytest.fixture
def history(demo):
    rng = random.Random(8)
    processes = sorted(set(db.session.scalars(select(ProcessVersion.process_id))))
    actors = _Actors()
    for day in range(DAYS):
        with time_machine.travel(START + timedelta(days=day), tick=False) as clock:
            _work_one_case(processes[day % len(processes)], rng, actors, clock, LOCATIONS[day % len(LOCATIONS)])


def _from_audit_log(period: Period) -> dict:
    """The same indicators, from audit events only (and each task's declared stage)."""
    start, end = period.start, period.end

    def inside(moment: datetime) -> bool:
        return start <= local_day(moment) < end

    events = db.session.execute(select(AuditEvent.case_id, AuditEvent.task_id, AuditEvent.event, AuditEvent.at,
                                       AuditEvent.data).order_by(AuditEvent.id)).all()
    stages = dict(db.session.execute(select(Task.id, Task.stage)).all())
    started, completed, has_tasks, first_handling = {}, {}, set(), {}
    visits = satisfied = 0
    for event in events:
        if event.event == "case_started":
            started[event.case_id] = event.at
        elif event.event == "case_completed":
            completed[event.case_id] = event.at
        elif event.event == "task_created":
            has_tasks.add(event.case_id)
        elif event.event == "claimed" and stages[event.task_id] in HANDLING_STAGES:
            first_handling.setdefault(event.case_id, event.at)
        elif event.event == "completed" and isinstance((event.data or {}).get("satisfied"), bool) and inside(event.at):
            visits += 1
            satisfied += event.data["satisfied"]
    diverted = [case for case in started if case in has_tasks]  # police business closes with no task at all
    taken_in = [case for case in diverted if inside(started[case])]
    closed = [case for case in diverted if case in completed and inside(completed[case])]
    hours = [(completed[case] - started[case]).total_seconds() / 3600 for case in closed]
    divert = [(first_handling[case] - started[case]).total_seconds() / 60 for case in taken_in
              if case in first_handling and local_day(first_handling[case]) < end]
    return {
        "cases": sum(inside(at) for at in started.values()),
        "taken_in": len(taken_in),
        "closed": len(closed),
        "handling_hours_avg": round(sum(hours) / len(hours), 2) if hours else None,
        "handling_hours_median": round(statistics.median(hours), 2) if hours else None,
        "divert_minutes_avg": round(sum(divert) / len(divert), 2) if divert else None,
        "visits": visits,
        "satisfaction_rate": round(100 * satisfied / visits, 2) if visits else None,
    }


def test_two_hundred_days_agree_with_the_audit_log(history):
    months = [Period(date(2025, month, 1), date(2025, month + 1, 1)) for month in range(1, 8)]
    for period in months:
        result = indicators(scope=Scope(), period=period)
        got = {name: result["handling"][name]["value"] for name in (
            "cases", "taken_in", "closed", "handling_hours_avg", "handling_hours_median", "divert_minutes_avg")}
        got |= {name: result["return_visits"][name]["value"] for name in ("visits", "satisfaction_rate")}
        expected = _from_audit_log(period)
        assert got == pytest.approx(expected, abs=0.02), period  # julianday arithmetic on SQLite rounds
    january = _from_audit_log(months[0])
    assert january["cases"] == 31 and january["closed"] > 10 and january["visits"] > 0

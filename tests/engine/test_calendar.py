"""Working-day deadlines on the official Chinese calendar: holidays off, swapped workdays (调休) on."""

import logging
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from engine import InvalidInputError, get_case, start_case
from engine.calendar import WorkingCalendar, calendar_status, office_hours, seed_calendar
from engine.calendar_import import import_year
from engine.db import db
from engine.deadlines import due_at
from engine.deploy import deploy
from engine.models import AuditEvent, Task
from engine.sla import mark_breaches, send_due_supervision
from tests.engine import samples

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHEDULE_2027 = {"year": 2027, "holidays": {"2027-01-01": "元旦", "2027-02-08": "春节"},
                 "workdays": {"2027-02-06": "春节调休"}}


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def seeded(app):
    return seed_calendar()


def test_seeding_loads_the_package_years_once(seeded):
    assert seeded[0] <= 2020 and seeded[-1] == 2026
    assert seed_calendar() == []


@pytest.mark.parametrize(("start", "declaration", "due"), [
    # 2026-02-14 (Sat) is worked (春节调休), 02-15..02-23 are the Spring Festival holiday.
    (local(2026, 2, 13, 10, 0), "2 working days", local(2026, 2, 24, 10, 0)),
    # A start on the swapped Saturday counts from that Saturday.
    (local(2026, 2, 28, 9, 15), "1 working day", local(2026, 3, 2, 9, 15)),
    # 10-01..10-07 National Day off, 10-10 (Sat) worked.
    (local(2026, 9, 30, 16, 0), "3 working days", local(2026, 10, 10, 16, 0)),
    # 09-25..09-27 Mid-autumn off; 09-20 (Sun) worked.
    (local(2026, 9, 18, 11, 0), "1 working day", local(2026, 9, 20, 11, 0)),
    # After closing: from the next opening time. Before opening: from today's opening time.
    (local(2026, 3, 10, 18, 0), "1 working day", local(2026, 3, 12, 8, 30)),
    (local(2026, 3, 10, 17, 30), "1 working day", local(2026, 3, 12, 8, 30)),
    (local(2026, 3, 10, 7, 0), "1 working day", local(2026, 3, 11, 8, 30)),
    # A weekend or holiday start counts from the opening of the next working day.
    (local(2026, 3, 14, 11, 0), "1 working day", local(2026, 3, 17, 8, 30)),
    (local(2026, 10, 3, 11, 0), "2 working days", local(2026, 10, 10, 8, 30)),
    # Elapsed time ignores the calendar.
    (local(2026, 2, 13, 18, 0), "24 hours", local(2026, 2, 14, 18, 0)),
    (local(2026, 10, 1, 9, 0), "3 days", local(2026, 10, 4, 9, 0)),
])
def test_working_days_follow_the_official_calendar(seeded, start, declaration, due):
    computed = due_at(declaration, start.astimezone(UTC))
    assert computed == due and computed.tzinfo == UTC


def test_office_hours_are_configurable(seeded, monkeypatch):
    monkeypatch.setenv("GONGZHI_OFFICE_HOURS", "09:00-18:00")
    assert due_at("1 working day", local(2026, 3, 10, 17, 45)) == local(2026, 3, 11, 17, 45)
    assert due_at("1 working day", local(2026, 3, 10, 8, 45)) == local(2026, 3, 11, 9, 0)
    for bad in ("8:30", "17:30-08:30", "25:00-26:00"):
        monkeypatch.setenv("GONGZHI_OFFICE_HOURS", bad)
        with pytest.raises(ValueError, match="GONGZHI_OFFICE_HOURS"):
            office_hours()


def test_an_uncovered_year_falls_back_to_weekends_and_warns_once_per_computation(seeded, caplog):
    calendar = WorkingCalendar()
    with caplog.at_level(logging.WARNING, logger="engine.calendar"):
        # 2027-01-01 is a Friday: without a 2027 schedule it counts as a working day.
        assert due_at("2 working days", local(2026, 12, 31, 10, 0), calendar) == local(2027, 1, 4, 10, 0)
        assert due_at("3 working days", local(2026, 12, 31, 10, 0), calendar) == local(2027, 1, 5, 10, 0)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "no working-day calendar for 2027" in warnings[0]
    assert "gongzhi calendar import" in warnings[0]


def test_status_names_the_years_without_a_schedule(seeded):
    years = {status.year: status for status in calendar_status(today=date(2026, 11, 29))}
    assert years[2026].covered and years[2026].source == "chinese_calendar"
    assert (years[2026].holidays, years[2026].workdays) == (33, 6)
    assert not years[2027].covered
    import_year(schedule=SCHEDULE_2027)
    years = {status.year: status for status in calendar_status(today=date(2026, 11, 29))}
    assert years[2027].covered and (years[2027].holidays, years[2027].workdays) == (2, 1)


def test_importing_a_year_recomputes_the_open_working_day_deadlines(demo):
    working = samples.sample_bpmn(properties='<spiffworkflow:property name="deadline" value="2 working days" />')
    elapsed = samples.sample_bpmn(pid="hourly", properties='<spiffworkflow:property name="deadline" value="2 hours" />')
    deploy(sources={"working.bpmn": working, "hourly.bpmn": elapsed})
    with time_machine.travel(local(2026, 12, 31, 10, 0), tick=False):
        [task] = start_case(process_id="sample_referral", data={"location": "sjm-duntou-g1"}).open_tasks
        [hourly] = start_case(process_id="hourly", data={"location": "sjm-duntou-g1"}).open_tasks
    assert task.due_at == local(2027, 1, 4, 10, 0)  # weekends only: 2027 is not loaded yet

    result = import_year(schedule=SCHEDULE_2027, source="import:2027.json")
    assert (result.year, result.holidays, result.workdays, result.replaced) == (2027, 2, 1, False)
    assert result.tasks_recomputed == 1
    [after] = get_case(task.case_id).open_tasks
    assert after.due_at == local(2027, 1, 5, 10, 0)  # 01-01 is a holiday now
    [unchanged] = get_case(hourly.case_id).open_tasks
    assert unchanged.due_at == hourly.due_at == local(2026, 12, 31, 12, 0)

    again = import_year(schedule={"year": 2027, "holidays": {}, "workdays": {}})
    assert again.replaced and again.tasks_recomputed == 1
    assert get_case(task.case_id).open_tasks[0].due_at == local(2027, 1, 4, 10, 0)


def test_an_import_that_moves_a_late_deadline_stops_its_supervision_chain_and_is_audited(demo):
    working = samples.sample_bpmn(properties='<spiffworkflow:property name="deadline" value="2 working days" />')
    deploy(sources={"working.bpmn": working})
    with time_machine.travel(local(2026, 12, 31, 10, 0), tick=False):
        [task] = start_case(process_id="sample_referral", data={"location": "sjm-duntou-g1"}).open_tasks
    with time_machine.travel(local(2027, 1, 4, 10, 1), tick=False):  # late by the weekends-only count
        assert mark_breaches(now=datetime.now(UTC)) == 1
        import_year(schedule=SCHEDULE_2027, source="import:2027.json")
        assert send_due_supervision(now=datetime.now(UTC)) == 0  # 01-01 was a holiday: not late after all
        assert db.session.get(Task, task.id).overdue_at is None
    events = {event.event: event.data for event in get_case(task.case_id).events}
    assert events["deadline_recomputed"]["to"] == local(2027, 1, 5, 10, 0).astimezone(UTC).isoformat()
    imported = db.session.scalars(select(AuditEvent).where(AuditEvent.event == "calendar_imported")).one()
    assert imported.case_id is None
    assert imported.data == {"year": 2027, "source": "import:2027.json", "holidays": 2, "workdays": 1,
                             "replaced": False, "deadlines_moved": 1}
    with time_machine.travel(local(2027, 1, 5, 10, 1), tick=False):  # now it is late against the new deadline
        assert mark_breaches(now=datetime.now(UTC)) == 1


@pytest.mark.parametrize(("schedule", "field", "problem"), [
    ({"year": 2027, "holidays": {"2027-02-30": "春节"}}, "holidays", "'2027-02-30' is not a date"),
    ({"year": 2027, "holidays": {"27-1-1": "元旦"}}, "holidays", "write it as YYYY-MM-DD"),
    ({"year": 2027, "holidays": {"2028-01-01": "元旦"}}, "holidays", "2028-01-01 is not in 2027"),
    ({"year": 2027, "holidays": {"2027-02-06": "春节"}, "workdays": {"2027-02-06": "春节调休"}},
     "workdays", "2027-02-06 is also a holiday"),
    ({"year": 2027, "workdays": {"2027-02-08": "春节调休"}}, "workdays", "2027-02-08 is a weekday"),
    ({"year": 2027, "holidays": ["2027-01-01"]}, "holidays", "must be an object"),
    ({"year": 2027, "holiday": {}}, "(file)", "unknown key 'holiday'"),
])
def test_a_bad_schedule_says_what_to_fix_and_changes_nothing(seeded, schedule, field, problem):
    with pytest.raises(InvalidInputError) as raised:
        import_year(schedule=schedule)
    assert any(problem in text for text in raised.value.details[field]), raised.value.details
    assert not {s.year: s for s in calendar_status(today=date(2026, 11, 29))}[2027].covered


@pytest.mark.parametrize("schedule", [[], {"year": "2027"}, {"year": 27}, {"holidays": {}}])
def test_a_schedule_needs_a_year(app, schedule):
    with pytest.raises(InvalidInputError, match="year"):
        import_year(schedule=schedule)

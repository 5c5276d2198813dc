"""The SLA monitor: breaches found once by indexed queries, and the supervision chain (督办) they start."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from engine import audit, start_case
from engine.db import db
from engine.models import Agency, AuditEvent, Notice, SupervisionStep, Task
from engine.sla import mark_breaches, send_due_supervision, supervision_chain
from processes.supervision import ChainConfigError, parse_chain
from tests.steps import race, work

WALL = {"category": "property_damage", "location": "sjm-duntou-g1", "description": "墙体被撞裂，双方争执"}
START = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # Monday 09:00 in Zhoushan


def street_task():
    """A diversion case dispatched down to the street; return its open task there (claimed by the squad)."""
    case = start_case(process_id="diversion", data=WALL, username="sjm-police")
    case = work(case.open_tasks[0].id, "city-dispatcher", {"city_dispatch_note": "转区分流"})
    case = work(case.open_tasks[0].id, "pt-dispatcher", {"district_dispatch_note": "下派街道"})
    [task] = case.open_tasks
    return task


def notices():
    rows = db.session.execute(select(Notice.kind, Agency.code, Notice.user_id).join(
        Agency, Notice.agency_id == Agency.id).order_by(Notice.id)).all()
    return [(kind, code, user is not None) for kind, code, user in rows]


def events(name):
    return db.session.scalar(select(func.count()).where(AuditEvent.event == name))


def test_a_passed_deadline_is_found_once_and_the_whole_chain_runs_in_time(demo):
    with time_machine.travel(START, tick=False) as clock:
        task = street_task()
        assert (task.agency_code, task.due_at) == ("sjm-squad", START + timedelta(hours=24))
        from engine import claim_task
        claim_task(task_id=task.id, username="sjm-squad")

        clock.move_to(task.due_at - timedelta(minutes=1))
        assert mark_breaches(now=datetime.now(UTC)) == 0

        clock.move_to(task.due_at + timedelta(minutes=1))
        assert mark_breaches(now=datetime.now(UTC)) == 1
        assert mark_breaches(now=datetime.now(UTC)) == 0  # found once
        assert db.session.get(Task, task.id).overdue_at == task.due_at + timedelta(minutes=1)
        assert events("overdue") == 1

        # The reminder is due at the breach: to the assignee and to the squad.
        assert send_due_supervision(now=datetime.now(UTC)) == 2
        assert notices() == [("reminder", "sjm-squad", True), ("reminder", "sjm-squad", False)]
        assert send_due_supervision(now=datetime.now(UTC)) == 0

        # Four hours later the street (the agency above) gets a supervision notice.
        clock.move_to(task.due_at + timedelta(hours=4))
        assert send_due_supervision(now=datetime.now(UTC)) == 1
        assert notices()[-1] == ("supervision", "shenjiamen", False)

        # One working day after the breach the district gets the report.
        clock.move_to(task.due_at + timedelta(days=1))
        assert send_due_supervision(now=datetime.now(UTC)) == 1
        assert notices()[-1] == ("report", "putuo", False)
    assert events("supervision_sent") == 3
    message = db.session.scalar(select(Notice.message).where(Notice.kind == "supervision"))
    assert "督办通知" in message and f"#{task.case_id}" in message and "2026-06-02 09:00" in message


def test_the_report_waits_for_the_next_working_day_after_a_friday_breach(demo):
    thursday = datetime(2026, 6, 4, 7, 0, tzinfo=UTC)  # 15:00 local: the street task falls due on Friday
    with time_machine.travel(thursday, tick=False) as clock:
        task = street_task()
        clock.move_to(task.due_at + timedelta(minutes=1))
        mark_breaches(now=datetime.now(UTC))
    report = db.session.scalar(select(SupervisionStep.send_at).where(SupervisionStep.kind == "report"))
    assert report.astimezone(UTC) == task.due_at + timedelta(days=3)  # Monday, same clock time


def test_a_task_done_before_a_step_is_due_stops_the_chain(demo):
    with time_machine.travel(START, tick=False) as clock:
        task = street_task()
        clock.move_to(task.due_at + timedelta(minutes=5))
        mark_breaches(now=datetime.now(UTC))
        assert send_due_supervision(now=datetime.now(UTC)) == 1  # nobody claimed it: the agency only
        work(task.id, "sjm-squad", {"handling_measures": "到场调处", "handled_on_site": True})
        clock.move_to(task.due_at + timedelta(days=2))
        assert send_due_supervision(now=datetime.now(UTC)) == 0
    statuses = db.session.scalars(select(SupervisionStep.status).order_by(SupervisionStep.id)).all()
    assert statuses == ["sent", "cancelled", "cancelled"]


def test_a_closed_task_is_never_reported_even_if_its_deadline_passed(demo):
    with time_machine.travel(START, tick=False) as clock:
        task = street_task()
        work(task.id, "sjm-squad", {"handling_measures": "到场调处", "handled_on_site": True})
        clock.move_to(task.due_at + timedelta(hours=1))
        mark_breaches(now=datetime.now(UTC))
    late = db.session.execute(select(Task.bpmn_id, Task.status).where(Task.overdue_at.is_not(None))).all()
    assert late == [("Task_PoliceFeedback", "open")]  # the feedback it led to is late; the closed task is not


def test_two_monitors_at_once_find_each_breach_once(app, demo):
    with time_machine.travel(START, tick=False) as clock:
        tasks = [street_task() for _ in range(4)]
        clock.move_to(tasks[0].due_at + timedelta(minutes=1))
        now = datetime.now(UTC)
        results = race(app, [lambda: mark_breaches(now=now), lambda: mark_breaches(now=now)])
        found = [r for r in results if isinstance(r, int)]
        # A monitor that lost a race on SQLite's single writer reports a conflict and finds nothing.
        assert sum(found) == 4, results
        results = race(app, [lambda: send_due_supervision(now=now), lambda: send_due_supervision(now=now)])
    assert sum(r for r in results if isinstance(r, int)) == 4
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 4
    assert events("overdue") == 4


def test_the_chain_is_configurable_in_time_and_target(demo, monkeypatch):
    monkeypatch.setenv("GONGZHI_SUPERVISION_CHAIN",
                       '[{"kind": "supervision", "after": "30 minutes", "targets": ["district", "agency"]}]')
    with time_machine.travel(START, tick=False) as clock:
        task = street_task()
        clock.move_to(task.due_at + timedelta(minutes=1))
        mark_breaches(now=datetime.now(UTC))
        assert send_due_supervision(now=datetime.now(UTC)) == 0
        clock.shift(timedelta(minutes=30))
        assert send_due_supervision(now=datetime.now(UTC)) == 2
    assert notices() == [("supervision", "putuo", False), ("supervision", "sjm-squad", False)]


@pytest.mark.parametrize(("setting", "complaint"), [
    ("{", "not valid JSON"),
    ("[]", "non-empty JSON list"),
    ('[{"kind": "email", "targets": ["agency"]}]', "kind 'email'"),
    ('[{"kind": "reminder", "after": "soon", "targets": ["agency"]}]', "'soon' is not understood"),
    ('[{"kind": "reminder", "targets": ["mayor"]}]', "targets must be"),
    ('[{"kind": "reminder", "targets": ["agency"]}, {"kind": "reminder", "targets": ["district"]}]',
     "names must be different"),
])
def test_a_bad_chain_setting_says_what_to_fix(setting, complaint):
    with pytest.raises(ChainConfigError, match=complaint):
        parse_chain(setting)


def test_a_bad_chain_setting_stops_the_monitor_before_it_marks_anything(demo, monkeypatch):
    with time_machine.travel(START, tick=False) as clock:
        task = street_task()
        clock.move_to(task.due_at + timedelta(minutes=1))
        monkeypatch.setenv("GONGZHI_SUPERVISION_CHAIN", "[")
        with pytest.raises(ChainConfigError):
            mark_breaches(now=datetime.now(UTC))
        monkeypatch.delenv("GONGZHI_SUPERVISION_CHAIN")
        assert db.session.get(Task, task.id).overdue_at is None
        assert len(supervision_chain()) == 3
        assert mark_breaches(now=datetime.now(UTC)) == 1


def test_the_events_the_monitor_writes_are_registered():
    assert {"overdue", "supervision_sent"} <= set(audit.EVENTS)

"""BPMN timers: the escalation from community to street mediation after three days."""

from datetime import UTC, datetime, timedelta

import time_machine

from engine import fire_due_timers, get_case, start_case
from engine.db import db, utcnow
from engine.models import Case, Task

DISPUTE = {"source": "police", "location": "sjm-duntou-g1", "parties": ["甲", "乙"], "summary": "车辆剐蹭赔偿纠纷"}
MONDAY = datetime(2026, 5, 11, 1, 0, tzinfo=UTC)


def test_an_overdue_community_mediation_escalates_to_the_street(demo):
    with time_machine.travel(MONDAY, tick=False) as clock:
        case = start_case(process_id="dispute_funnel", data=DISPUTE)
        [community] = case.open_tasks
        assert db.session.get(Case, case.id).next_timer_at == MONDAY + timedelta(days=3)

        clock.shift(timedelta(days=2, hours=23))
        assert fire_due_timers(now=utcnow()) == 0

        clock.shift(timedelta(hours=2))
        assert fire_due_timers(now=utcnow()) == 1
        assert fire_due_timers(now=utcnow()) == 0  # a fired timer does not fire twice

    case = get_case(case.id)
    [street] = case.open_tasks
    assert (street.bpmn_id, street.agency_code) == ("Task_StreetMediation", "sjm-office")
    assert db.session.get(Task, community.id).status == "cancelled"
    assert [e.event for e in case.events][-3:] == ["timer_fired", "cancelled", "task_created"]
    fired = next(e for e in case.events if e.event == "timer_fired")
    assert fired.data == {"timers": ["调解超时（3天）"]}
    assert db.session.get(Case, case.id).next_timer_at is None


def test_timers_are_not_fired_for_cases_that_are_not_due(demo):
    with time_machine.travel(MONDAY, tick=False):
        start_case(process_id="dispute_funnel", data=DISPUTE)
        start_case(process_id="diversion", data={"category": "noise", "location": "sjm-duntou-g1",
                                                 "description": "噪音"})
        assert fire_due_timers(now=utcnow() + timedelta(days=1)) == 0

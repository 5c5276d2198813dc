"""BPMN timers: the escalation from community to street mediation after three days."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from engine import ProcessError, deploy, due_case_ids, fire_case_timers, fire_due_timers, get_case, start_case
from engine.cases import TIMER_RETRY
from engine.db import db, utcnow
from engine.models import Case, Task
from tests.engine import samples

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


FAILING_TIMER_PATH = {"extra": """<bpmn:boundaryEvent id="Timer_Late" name="超时" attachedToRef="Task_Handle">
      <bpmn:outgoing>Flow_5</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT30M"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:scriptTask id="Script_Escalate" name="升级">
      <bpmn:incoming>Flow_5</bpmn:incoming><bpmn:outgoing>Flow_6</bpmn:outgoing>
      <bpmn:script>ratio = 1 / 0</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="End_Late"><bpmn:incoming>Flow_6</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_5" sourceRef="Timer_Late" targetRef="Script_Escalate" />
    <bpmn:sequenceFlow id="Flow_6" sourceRef="Script_Escalate" targetRef="End_Late" />"""}


def test_a_timer_whose_path_fails_is_rolled_back_and_set_aside_not_retried_on_every_tick(demo):
    deploy(sources={"late.bpmn": samples.sample_bpmn(**FAILING_TIMER_PATH)})
    start = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        case = start_case(process_id="sample_referral", data={"location": "sjm-duntou-g1"})
    due = start + timedelta(minutes=31)
    with time_machine.travel(due, tick=False):
        with pytest.raises(ProcessError, match="division by zero"):
            fire_case_timers(case_id=case.id, now=due)
        assert fire_due_timers(now=due) == 0  # set aside: not due again on the next tick
    row = db.session.get(Case, case.id)
    assert row.next_timer_at == due + TIMER_RETRY and row.status == "running"
    [failed] = [e for e in get_case(case.id).events if e.event == "timer_failed"]
    assert "division by zero" in failed.data["error"]
    assert get_case(case.id).open_tasks[0].bpmn_id == "Task_Handle"  # nothing of the failed run was kept
    assert due_case_ids(now=due + TIMER_RETRY) == [case.id]  # and it is tried again later

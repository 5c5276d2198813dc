"""The dispute funnel (漏斗型纠纷化解) end to end, as the demo agencies' staff would work it.

Community mediation -> street mediation -> the station's joint-mediation request to several agencies, who
mediate in parallel -> the station's conclusion -> the shared court (judicial confirmation of an agreement,
or online filing when no agreement was reached).
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from engine import PermissionDeniedError, case_store, claim_task, fire_due_timers, get_case, start_case
from engine.db import db, utcnow
from engine.models import Case, Task
from engine.runtime import parsed_version
from engine.serialization import load_workflow
from tests.steps import created, handled, only, work

PROCESS = "dispute_funnel"
INJURY = {"source": "police", "location": "sjm-duntou-g1", "parties": ["张某", "李某"],
          "summary": "两当事人就人身损害赔偿金额发生纠纷", "category": "personal_injury", "amount_yuan": 20000}
NEIGHBOURS = {"source": "police", "location": "sjm-siwan-g1", "parties": ["赵某", "钱某"],
              "summary": "楼上漏水引发邻里纠纷", "category": "neighbour_dispute"}
UNCLASSIFIED = {"source": "litigation", "location": "sjm-duntou-g2", "parties": ["孙某", "周某"],
                "summary": "诉前引导调解的合同纠纷"}


def case_data(case_id: int) -> dict:
    """The data of a completed case, as the workflow ended with it (resolved_level, court_outcome, ...)."""
    case = case_store.load_case(case_id)
    workflow = load_workflow(case_store.load_state(case_id),
                             parsed_version(case.process_version_id, case.content_hash, case.process_id))
    assert workflow.is_completed()
    return workflow.data


def test_a_personal_injury_dispute_goes_to_joint_mediation_and_the_court_confirms_the_agreement(demo):
    case = start_case(process_id=PROCESS, data=INJURY, username="sjm-station")
    # The decision table sends personal injury straight to the station's joint-mediation request.
    request = only(case, "Task_JointRequest", "sjm-station")
    assert (request.form, request.stage) == ("dispute_joint_request", "transfer")

    case = work(request.id, "sjm-station", {
        "requested_agencies": ["justice_office", "labour_bureau", "police_station"],
        "joint_request_note": "伤者系务工人员，请司法所、人力社保局、派出所联调"})
    joint = {task.agency_code: task for task in case.open_tasks}
    assert set(joint) == {"pt-justice", "pt-labour", "sjm-police"}
    assert {(task.bpmn_id, task.form, task.stage) for task in joint.values()} == {
        ("Task_JointMediation", "joint_mediation", "mediation")}
    # Each instance belongs to its own agency: the labour bureau cannot take the justice office's task.
    with pytest.raises(PermissionDeniedError):
        claim_task(task_id=joint["pt-justice"].id, username="pt-labour")

    case = work(joint["pt-labour"].id, "pt-labour", {"joint_mediation_note": "按工伤标准核算误工费"})
    case = work(joint["sjm-police"].id, "sjm-police", {"joint_mediation_note": "出具事故经过说明"})
    assert {task.agency_code for task in case.open_tasks} == {"pt-justice"}  # the station waits for everyone
    case = work(joint["pt-justice"].id, "pt-mediator", {"joint_mediation_note": "释明赔偿项目与法律依据"})

    conclusion = only(case, "Task_JointConclusion", "sjm-station")
    case = work(conclusion.id, "sjm-station", {
        "agreement": True, "agreement_terms": "一次性赔偿2万元", "judicial_confirmation_requested": True,
        "joint_conclusion_note": "多方联调后达成一致"})
    confirmation = only(case, "Task_JudicialConfirmation", "pt-court")
    case = work(confirmation.id, "pt-clerk", {"confirmed": True, "confirmation_case_number": "（2026）浙0903民特1号"})

    assert case.status == "completed"
    assert handled(case.id) == [
        ("Task_JointRequest", "sjm-station", "sjm-station"),
        ("Task_JointMediation", "pt-labour", "pt-labour"),
        ("Task_JointMediation", "sjm-police", "sjm-police"),
        ("Task_JointMediation", "pt-justice", "pt-mediator"),
        ("Task_JointConclusion", "sjm-station", "sjm-station"),
        ("Task_JudicialConfirmation", "pt-court", "pt-clerk"),
    ]
    completed = [e for e in get_case(case.id).events if e.event == "completed"]
    assert completed[1].data == {"joint_mediation_note": "按工伤标准核算误工费"}
    assert "Task_CommunityMediation" not in created(case.id)
    data = case_data(case.id)
    assert (data["resolved_level"], data["resolved_level_label"], data["court_outcome"]) == (
        "joint", "联调联处", "confirmed")
    assert data["joint_mediation_notes"] == ["按工伤标准核算误工费", "出具事故经过说明", "释明赔偿项目与法律依据"]


def test_the_station_can_take_the_suggested_agencies_and_close_without_the_court(demo):
    case = start_case(process_id=PROCESS, data=INJURY)
    request = only(case, "Task_JointRequest", "sjm-station")
    case = work(request.id, "sjm-station", {"joint_request_note": "按建议请司法所、派出所联调"})
    joint = {task.agency_code: task for task in case.open_tasks}
    assert set(joint) == {"pt-justice", "sjm-police"}
    case = work(joint["pt-justice"].id, "pt-mediator", {"joint_mediation_note": "调解"})
    case = work(joint["sjm-police"].id, "sjm-police", {"joint_mediation_note": "调解"})
    case = work(case.open_tasks[0].id, "sjm-station", {"agreement": True, "joint_conclusion_note": "当场履行"})

    assert case.status == "completed" and case.open_tasks == []
    assert "Task_JudicialConfirmation" not in created(case.id)
    data = case_data(case.id)
    assert (data["resolved_level"], data["court_outcome"]) == ("joint", "none")


def test_a_dispute_that_fails_every_level_is_filed_online_at_the_shared_court(demo):
    case = start_case(process_id=PROCESS, data=UNCLASSIFIED)
    community = only(case, "Task_CommunityMediation", "sjm-duntou")
    # A confirmation request without an agreement is ignored: no agreement means the next level.
    case = work(community.id, "sjm-duntou", {"agreement": False, "judicial_confirmation_requested": True,
                                             "community_mediation_note": "双方分歧大"})
    street = only(case, "Task_StreetMediation", "sjm-office")
    assert db.session.get(Case, case.id).next_timer_at is None  # the community timer went with its task
    case = work(street.id, "sjm-office", {"agreement": False, "street_mediation_note": "街道调解未果"})
    request = only(case, "Task_JointRequest", "sjm-station")
    case = work(request.id, "sjm-station", {"requested_agencies": ["justice_office", "community"],
                                            "joint_request_note": "请司法所、社区联调"})
    joint = {task.agency_code: task for task in case.open_tasks}
    assert set(joint) == {"pt-justice", "sjm-duntou"}
    case = work(joint["sjm-duntou"].id, "sjm-duntou", {"joint_mediation_note": "社区再做工作"})
    case = work(joint["pt-justice"].id, "pt-mediator", {"joint_mediation_note": "法律释明"})
    conclusion = only(case, "Task_JointConclusion", "sjm-station")
    case = work(conclusion.id, "sjm-station", {"agreement": False, "joint_conclusion_note": "引导诉讼"})
    filing = only(case, "Task_OnlineFiling", "pt-court")
    assert (filing.form, filing.stage) == ("dispute_online_filing", "intake")
    case = work(filing.id, "pt-clerk", {"filing_case_number": "（2026）浙0903民初456号"})

    assert case.status == "completed"
    assert handled(case.id) == [
        ("Task_CommunityMediation", "sjm-duntou", "sjm-duntou"),
        ("Task_StreetMediation", "sjm-office", "sjm-office"),
        ("Task_JointRequest", "sjm-station", "sjm-station"),
        ("Task_JointMediation", "sjm-duntou", "sjm-duntou"),
        ("Task_JointMediation", "pt-justice", "pt-mediator"),
        ("Task_JointConclusion", "sjm-station", "sjm-station"),
        ("Task_OnlineFiling", "pt-court", "pt-clerk"),
    ]
    assert "Task_JudicialConfirmation" not in created(case.id)
    data = case_data(case.id)
    assert (data["resolved_level"], data["resolved_level_label"], data["court_outcome"]) == (
        "court", "共享法庭", "filed")


def test_a_neighbour_dispute_is_settled_by_the_community_mediator(demo):
    case = start_case(process_id=PROCESS, data=NEIGHBOURS, username="sjm-police")
    community = only(case, "Task_CommunityMediation", "sjm-siwan")
    assert (community.form, community.stage) == ("community_mediation", "mediation")
    assert community.due_at - community.created_at == timedelta(days=3)
    case = work(community.id, "sjm-siwan", {"agreement": True, "agreement_terms": "修复漏水并赔偿3000元",
                                            "community_mediation_note": "和事佬上门调解"})

    assert case.status == "completed" and case.open_tasks == []
    assert handled(case.id) == [("Task_CommunityMediation", "sjm-siwan", "sjm-siwan")]
    assert db.session.get(Case, case.id).next_timer_at is None
    data = case_data(case.id)
    assert (data["resolved_level"], data["resolved_level_label"], data["court_outcome"]) == (
        "community", "社区调解", "none")


def test_an_agreement_the_court_refuses_to_confirm_is_filed_online(demo):
    case = start_case(process_id=PROCESS, data=NEIGHBOURS)
    case = work(case.open_tasks[0].id, "sjm-siwan", {"agreement": True, "judicial_confirmation_requested": True,
                                                     "community_mediation_note": "达成协议，申请司法确认"})
    confirmation = only(case, "Task_JudicialConfirmation", "pt-court")
    case = work(confirmation.id, "pt-clerk", {"confirmed": False, "confirmation_case_number": "（2026）浙0903民特2号",
                                              "court_note": "协议内容违反法律规定，不予确认"})
    filing = only(case, "Task_OnlineFiling", "pt-court")
    case = work(filing.id, "pt-clerk", {"filing_case_number": "（2026）浙0903民初457号"})

    assert case.status == "completed"
    assert [step[0] for step in handled(case.id)] == [
        "Task_CommunityMediation", "Task_JudicialConfirmation", "Task_OnlineFiling"]
    data = case_data(case.id)
    assert (data["resolved_level"], data["court_outcome"]) == ("court", "filed")


def test_the_three_day_timer_escalates_an_unanswered_community_mediation_to_the_street(demo):
    start = datetime(2026, 6, 1, 0, 30, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        case = start_case(process_id=PROCESS, data={**NEIGHBOURS, "source": "petition", "location": "dg-puxi-g1"})
        community = only(case, "Task_CommunityMediation", "dg-puxi")
        clock.shift(timedelta(days=3) - timedelta(minutes=1))
        assert fire_due_timers(now=utcnow()) == 0
        clock.shift(timedelta(minutes=2))
        assert fire_due_timers(now=utcnow()) == 1

    case = get_case(case.id)
    street = only(case, "Task_StreetMediation", "dg-office")
    assert db.session.get(Task, community.id).status == "cancelled"
    fired = next(e for e in case.events if e.event == "timer_fired")
    assert fired.data == {"timers": ["调解超时（3天）"]} and fired.actor is None
    case = work(street.id, "dg-office", {"agreement": True, "street_mediation_note": "街道调解成功"})

    assert case.status == "completed"
    assert handled(case.id) == [("Task_StreetMediation", "dg-office", "dg-office")]
    data = case_data(case.id)
    assert (data["resolved_level"], data["court_outcome"]) == ("street", "none")

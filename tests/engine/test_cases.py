"""Starting cases and working them through their tasks, as agency staff would."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    claim_task,
    complete_task,
    get_case,
    return_task,
    start_case,
    unclaim_task,
)
from engine.db import db
from engine.models import Agency, AuditEvent, Task, User
from tests.steps import work

NOISE = {"category": "noise", "location": "sjm-duntou-g1", "description": "楼上装修噪音扰民"}


def events(case) -> list[str]:
    return [event.event for event in get_case(case.id).events]


def test_police_business_stays_with_the_police_and_ends_at_once(demo):
    case = start_case(process_id="diversion", data={**NOISE, "category": "theft"})
    assert case.status == "completed"
    assert case.open_tasks == []
    assert events(case) == ["case_started", "case_completed"]


def test_a_non_police_matter_travels_the_chain_to_the_end(demo):
    case = start_case(process_id="diversion", data=NOISE, username="sjm-police")
    [task] = case.open_tasks
    assert (task.bpmn_id, task.agency_code, task.status) == ("Task_CityDispatch", "zs-dispatch", "open")
    assert task.due_at - task.created_at == timedelta(minutes=30)

    case = work(task.id, "city-dispatcher", {"city_dispatch_note": "转区级"})
    [task] = case.open_tasks
    assert (task.bpmn_id, task.agency_code) == ("Task_DistrictDispatch", "pt-dispatch")
    case = work(task.id, "pt-dispatcher", {"district_dispatch_note": "转沈家门街道"})
    [task] = case.open_tasks
    assert (task.bpmn_id, task.agency_code) == ("Task_OnSiteHandling", "sjm-squad")
    case = work(task.id, "sjm-squad", {"handling_measures": "上门劝导", "handled_on_site": True})
    [task] = case.open_tasks
    case = work(task.id, "sjm-police", {"handling_result": "resolved", "feedback_summary": "已劝导停工"})
    [task] = case.open_tasks
    assert (task.bpmn_id, task.agency_code) == ("Task_ReturnVisit", "sjm-police")
    case = work(task.id, "sjm-police", {"satisfied": True, "visit_method": "phone"})

    assert case.status == "completed" and case.completed_at is not None
    assert events(case).count("completed") == 5
    assert events(case)[0] == "case_started" and events(case)[-1] == "case_completed"
    completed = [e for e in get_case(case.id).events if e.event == "completed"]
    assert completed[0].actor == "city-dispatcher"
    assert completed[0].data == {"city_dispatch_note": "转区级"}


def test_the_community_lane_resolves_to_the_location_own_community(demo):
    case = start_case(process_id="dispute_funnel", data={
        "source": "police", "location": "dg-puxi-g1", "parties": ["甲", "乙"], "summary": "邻里漏水纠纷"})
    [task] = case.open_tasks
    assert task.agency_code == "dg-puxi"


def test_a_returned_task_goes_back_to_the_dispatcher_above(demo):
    case = start_case(process_id="diversion", data=NOISE)
    case = work(case.open_tasks[0].id, "city-dispatcher", {"city_dispatch_note": "转区"})
    case = work(case.open_tasks[0].id, "pt-dispatcher", {"district_dispatch_note": "转街道"})
    handling = case.open_tasks[0]
    claim_task(task_id=handling.id, username="sjm-squad")

    case = return_task(task_id=handling.id, username="sjm-squad", reason="不属于本街道辖区")

    [task] = case.open_tasks
    assert (task.bpmn_id, task.agency_code) == ("Task_DivDistrictRuling", "pt-dispatch")
    assert db.session.get(Task, handling.id).status == "returned"
    returned = next(e for e in get_case(case.id).events if e.event == "returned")
    assert returned.data == {"return_reason": "不属于本街道辖区"}
    # After the dispatcher passes it down again, a normal completion moves on instead of looping.
    case = work(task.id, "pt-dispatcher", {"ruling": "reroute_street", "ruling_note": "确认转沈家门"})
    case = work(case.open_tasks[0].id, "sjm-squad", {"handling_measures": "劝导", "handled_on_site": True})
    assert case.open_tasks[0].bpmn_id == "Task_PoliceFeedback"


def test_an_unsatisfied_return_visit_reopens_handling(demo):
    case = start_case(process_id="diversion", data=NOISE)
    for username, data in [
        ("city-dispatcher", {"city_dispatch_note": "转"}),
        ("pt-dispatcher", {"district_dispatch_note": "转"}),
        ("sjm-squad", {"handling_measures": "劝导", "handled_on_site": True}),
        ("sjm-police", {"handling_result": "resolved", "feedback_summary": "已处理"}),
        ("sjm-police", {"satisfied": False, "visit_method": "phone"}),
    ]:
        case = work(case.open_tasks[0].id, username, data)
    assert case.status == "running"
    assert case.open_tasks[0].bpmn_id == "Task_OnSiteHandling"


def test_bad_start_data_is_refused_with_the_fields_to_fix(demo):
    with pytest.raises(InvalidInputError) as error:
        start_case(process_id="diversion", data={"category": "unknown", "description": "x"})
    assert {"category", "location"} <= set(error.value.details)
    with pytest.raises(InvalidInputError, match="not the code of a grid or community"):
        start_case(process_id="diversion", data={**NOISE, "location": "putuo"})
    with pytest.raises(NotFoundError, match="not deployed"):
        start_case(process_id="no_such_process", data=NOISE)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_form_data_is_validated_against_the_task_form(demo):
    task = start_case(process_id="diversion", data=NOISE).open_tasks[0]
    with pytest.raises(InvalidInputError) as error:
        complete_task(task_id=task.id, username="city-dispatcher", data={"unexpected": 1})
    assert "city_dispatch_note" in error.value.details
    with pytest.raises(InvalidInputError, match="reserved"):
        complete_task(task_id=task.id, username="city-dispatcher",
                      data={"city_dispatch_note": "x", "returned": True})
    assert get_case(task.case_id).open_tasks[0].status == "open"


def test_only_the_candidate_agency_or_a_supervisor_above_may_act(demo):
    case = start_case(process_id="diversion", data=NOISE)
    case = work(case.open_tasks[0].id, "city-dispatcher", {"city_dispatch_note": "转"})
    case = work(case.open_tasks[0].id, "pt-dispatcher", {"district_dispatch_note": "转"})
    handling = case.open_tasks[0]  # the Shenjiamen squad's task
    # Agencies that never had a task on the case may not even see it: the task "does not exist".
    for outsider in ("dg-squad", "sjm-police", "dg-supervisor"):
        with pytest.raises(NotFoundError):
            claim_task(task_id=handling.id, username=outsider)
        # Not even invalid form data or a return tells an outsider anything about the task.
        with pytest.raises(NotFoundError):
            complete_task(task_id=handling.id, username=outsider, data={"unexpected": 1})
        with pytest.raises(NotFoundError):
            return_task(task_id=handling.id, username=outsider, reason="")
    # The city dispatcher handled an earlier step: it sees the case, but may not act for the squad.
    with pytest.raises(PermissionDeniedError):
        claim_task(task_id=handling.id, username="city-dispatcher")
    for supervisor in ("sjm-supervisor", "pt-supervisor"):
        assert claim_task(task_id=handling.id, username=supervisor).claimed_by == supervisor
        unclaim_task(task_id=handling.id, username=supervisor)


def test_claims_are_exclusive_and_audited(demo):
    task = start_case(process_id="diversion", data=NOISE).open_tasks[0]
    claimed = claim_task(task_id=task.id, username="city-dispatcher")
    assert claimed.status == "claimed" and claimed.claimed_by == "city-dispatcher"
    assert claim_task(task_id=task.id, username="city-dispatcher").claimed_by == "city-dispatcher"
    with pytest.raises(NotFoundError):  # the district has no task on this case yet
        unclaim_task(task_id=task.id, username="pt-dispatcher")
    unclaimed = unclaim_task(task_id=task.id, username="city-dispatcher")
    assert unclaimed.status == "open" and unclaimed.claimed_by is None
    with pytest.raises(ConflictError, match="not claimed"):
        unclaim_task(task_id=task.id, username="city-dispatcher")
    assert events(get_case(task.case_id))[-2:] == ["claimed", "unclaimed"]


def test_a_task_claimed_by_a_colleague_cannot_be_completed(demo):
    task = start_case(process_id="diversion", data=NOISE).open_tasks[0]
    agency = db.session.scalar(select(Agency).where(Agency.code == "zs-dispatch"))
    db.session.add(User(username="city-dispatcher-2", display_name="二号调度员", agency_id=agency.id))
    db.session.commit()
    claim_task(task_id=task.id, username="city-dispatcher")
    with pytest.raises(ConflictError, match="claimed by city-dispatcher"):
        complete_task(task_id=task.id, username="city-dispatcher-2", data={"city_dispatch_note": "x"})


def test_a_finished_task_cannot_be_completed_again(demo):
    task = start_case(process_id="diversion", data=NOISE).open_tasks[0]
    work(task.id, "city-dispatcher", {"city_dispatch_note": "转"})
    with pytest.raises(ConflictError, match="already completed"):
        complete_task(task_id=task.id, username="city-dispatcher", data={"city_dispatch_note": "再次"})


def test_a_task_without_return_handling_cannot_be_returned(demo):
    task = start_case(process_id="diversion", data=NOISE).open_tasks[0]
    # City dispatch returns it; the police station's ruling on that return cannot itself be returned.
    ruling = return_task(task_id=task.id, username="city-dispatcher", reason="属警务类").open_tasks[0]
    assert ruling.bpmn_id == "Task_DivPoliceRuling"
    with pytest.raises(InvalidInputError, match="cannot be returned"):
        return_task(task_id=ruling.id, username="sjm-police", reason="不归我管")
    with pytest.raises(InvalidInputError, match="needs a reason"):
        return_task(task_id=ruling.id, username="sjm-police", reason="  ")


def test_unknown_ids_are_not_found(demo):
    with pytest.raises(NotFoundError):
        claim_task(task_id=999999, username="city-dispatcher")
    with pytest.raises(NotFoundError):
        get_case(999999)
    task = start_case(process_id="diversion", data=NOISE).open_tasks[0]
    with pytest.raises(NotFoundError, match="user 'nobody'"):
        claim_task(task_id=task.id, username="nobody")


def test_start_form_fields_left_out_are_present_as_none(demo):
    case = start_case(process_id="diversion", data=NOISE)
    started = get_case(case.id).events[0]
    assert started.event == "case_started"
    assert "caller_phone" in started.data and started.data["caller_phone"] is None
    assert started.data["category"] == "noise"

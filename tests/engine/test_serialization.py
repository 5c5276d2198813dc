"""A case's saved state restores to an identical workflow, without embedding the spec."""

from datetime import UTC, datetime, timedelta

import orjson
import time_machine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import claim_task, complete_task, deploy, fire_due_timers, get_case, return_task, start_case
from engine.db import db, utcnow
from engine.models import Case
from engine.runtime import parsed_version
from engine.serialization import dump_workflow, load_workflow
from engine.workflow_cache import WORKFLOWS
from tests.engine import samples

NOISE = {"category": "noise", "location": "sjm-duntou-g1", "description": "噪音"}


def test_save_and_load_round_trip_gives_an_identical_workflow(demo):
    case = start_case(process_id="diversion", data=NOISE)
    task = case.open_tasks[0]
    claim_task(task_id=task.id, username="city-dispatcher")
    complete_task(task_id=task.id, username="city-dispatcher", data={"city_dispatch_note": "转区级"})
    row = db.session.get(Case, case.id)

    parsed = parsed_version(row.process_version_id, row.process_version.content_hash, row.process_id)
    workflow = load_workflow(row.state, parsed)
    assert dump_workflow(workflow) == row.state
    again = load_workflow(row.state, parsed)
    assert dump_workflow(again) == row.state
    [ready] = workflow.get_tasks(state=TaskState.READY, manual=True)
    assert ready.task_spec.bpmn_id == "Task_DistrictDispatch"
    assert ready.data["city_dispatch_note"] == "转区级"
    assert ready.data["assessment"] == {"priority": "normal"}
    # The platform's restricted script engine is reattached, not SpiffWorkflow's default one.
    assert "open" not in workflow.script_engine.environment.globals["__builtins__"]


def test_the_spec_is_stored_by_reference_not_in_every_case(demo):
    row = db.session.get(Case, start_case(process_id="diversion", data=NOISE).id)
    record = orjson.loads(row.state)
    assert "spec" not in record and "subprocess_specs" not in record
    assert len(row.state) < 12_000


# SpiffWorkflow's own serializer, which converts every task afresh on every save.
_STOCK = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
DISPUTE = {"source": "police", "location": "sjm-duntou-g1", "parties": ["甲", "乙"], "summary": "车辆剐蹭赔偿纠纷"}


def saved_in_full(case_id: int) -> bool:
    """The saved record holds every task as a full conversion of the case's live workflow gives it."""
    row = db.session.execute(select(Case.version, Case.state).where(Case.id == case_id)).one()
    db.session.rollback()  # the next command's snapshot starts afresh
    workflow = WORKFLOWS.take(case_id, row.version)
    assert workflow is not None, "the command kept its workflow in memory"
    WORKFLOWS.put(case_id, row.version, workflow)
    full = orjson.loads(orjson.dumps(_STOCK.to_dict(workflow)))
    del full["spec"], full["subprocess_specs"]  # the record refers to its process version's spec instead
    saved = orjson.loads(row.state)
    del saved[_STOCK.VERSION_KEY]
    return saved == full


def worked(case_id: int, task, username: str, data: dict | None = None, *, reason: str | None = None):
    """Claim the task and complete (or return) it; check each saved record; return the case."""
    claim_task(task_id=task.id, username=username)
    assert saved_in_full(case_id)
    if reason:
        case = return_task(task_id=task.id, username=username, reason=reason)
    else:
        case = complete_task(task_id=task.id, username=username, data=data)
    if case.status == "running":  # a completed case's workflow is not kept
        assert saved_in_full(case_id)
    return case


def test_every_save_holds_the_whole_task_tree_when_finished_tasks_are_converted_once(demo):
    # A return, a loop (an unsatisfied return visit reopens handling), a timer and a multi-instance task.
    case = start_case(process_id="diversion", data=NOISE, username="sjm-police")
    assert saved_in_full(case.id)
    handling = ("sjm-squad", {"handling_measures": "到场调处", "handled_on_site": True})
    steps = [("city-dispatcher", {"city_dispatch_note": "转区级"}),
             ("pt-dispatcher", {"district_dispatch_note": "下派"}), ("sjm-squad", "疑似不在本街道辖区"),
             ("pt-dispatcher", {"ruling": "reroute_street", "ruling_note": "请到场处置"}), handling,
             ("sjm-police", {"handling_result": "mediated", "feedback_summary": "已调处"}),
             ("sjm-police", {"satisfied": False, "visit_method": "phone", "visit_note": "未落实"}), handling,
             ("sjm-police", {"handling_result": "mediated", "feedback_summary": "已调处"}),
             ("sjm-police", {"satisfied": True, "visit_method": "phone", "visit_note": "满意"})]
    for username, data in steps:
        [task] = case.open_tasks
        case = worked(case.id, task, username, data) if isinstance(data, dict) else \
            worked(case.id, task, username, reason=data)
    assert case.status == "completed"

    with time_machine.travel(datetime(2026, 5, 11, 1, 0, tzinfo=UTC), tick=False) as clock:
        case = start_case(process_id="dispute_funnel", data=DISPUTE)
        clock.shift(timedelta(days=3, hours=1))
        assert fire_due_timers(now=utcnow()) == 1
        assert saved_in_full(case.id)
    [street] = get_case(case.id).open_tasks
    case = worked(case.id, street, "sjm-office", {"agreement": False, "street_mediation_note": "未达成协议"})
    [request] = case.open_tasks
    case = worked(case.id, request, "sjm-station", {"requested_agencies": ["justice_office", "community"],
                                                    "joint_request_note": "请联合调解"})
    first, second = case.open_tasks
    acting = {"pt-justice": "pt-mediator", "sjm-duntou": "sjm-duntou"}
    case = worked(case.id, first, acting[first.agency_code], {"joint_mediation_note": "参加联调"})
    case = worked(case.id, second, acting[second.agency_code], {"joint_mediation_note": "参加联调"})
    assert [task.bpmn_id for task in case.open_tasks] == ["Task_JointConclusion"]


def test_a_called_process_is_saved_whole_as_well(demo):
    # The parent hands the matter to a called process, whose own user task runs in a subprocess.
    call_child = """<bpmn:callActivity id="After" name="调用子流程" calledElement="child_referral">
      <bpmn:incoming>Flow_2</bpmn:incoming><bpmn:outgoing>Flow_3</bpmn:outgoing>
    </bpmn:callActivity>"""
    deploy(sources={"parent.bpmn": samples.sample_bpmn(pid="parent_referral", after=call_child),
                    "child.bpmn": samples.sample_bpmn(pid="child_referral", name="子流程")})
    case = start_case(process_id="parent_referral", data={"location": "sjm-duntou-g1"})
    [parent_task] = case.open_tasks
    case = worked(case.id, parent_task, "sjm-duntou", {})
    [child_task] = case.open_tasks
    assert child_task.id != parent_task.id
    row = db.session.get(Case, case.id)
    assert orjson.loads(row.state)["subprocesses"]  # the called process is in the record
    case = worked(case.id, child_task, "sjm-duntou", {})
    assert case.status == "completed"

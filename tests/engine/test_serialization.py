"""A case's saved state restores to an identical workflow, without embedding the spec."""

import orjson
from SpiffWorkflow.util.task import TaskState

from engine import claim_task, complete_task, start_case
from engine.db import db
from engine.models import Case
from engine.runtime import parsed_version
from engine.serialization import dump_workflow, load_workflow

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

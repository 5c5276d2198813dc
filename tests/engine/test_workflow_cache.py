"""The in-memory workflow cache serves only the version it was saved as."""

from sqlalchemy import update

from engine import claim_task, complete_task, get_case, start_case
from engine.db import db
from engine.models import Case
from engine.workflow_cache import WORKFLOWS, WorkflowCache

NOISE = {"category": "noise", "location": "sjm-duntou-g1", "description": "噪音"}


def test_an_entry_is_served_once_and_only_for_its_version():
    cache = WorkflowCache(size=2)
    cache.put(1, 3, "workflow-1")
    assert cache.take(1, 2) is None  # saved as version 3: a command holding version 2 must reload
    assert cache.take(1, 3) is None  # the mismatched take removed it
    cache.put(1, 3, "workflow-1")
    assert cache.take(1, 3) == "workflow-1"
    assert cache.take(1, 3) is None  # taken: no second user of the same object


def test_the_least_recently_saved_entries_are_evicted():
    cache = WorkflowCache(size=2)
    for case_id in (1, 2, 3):
        cache.put(case_id, 1, f"workflow-{case_id}")
    assert cache.take(1, 1) is None
    assert cache.take(3, 1) == "workflow-3"


def _peek(case_id: int, version: int):
    workflow = WORKFLOWS.take(case_id, version)
    WORKFLOWS.put(case_id, version, workflow)
    return workflow


def test_the_next_command_on_a_case_reuses_its_workflow(demo):
    case = start_case(process_id="diversion", data=NOISE)
    cached = _peek(case.id, 1)
    task = case.open_tasks[0]
    claim_task(task_id=task.id, username="city-dispatcher")
    complete_task(task_id=task.id, username="city-dispatcher", data={"city_dispatch_note": "转"})
    assert _peek(case.id, 2) is cached


def test_a_case_saved_by_another_server_is_reloaded_from_the_database(demo):
    case = start_case(process_id="diversion", data=NOISE)
    cached = _peek(case.id, 1)
    # Another server process saved the case meanwhile: the version moved on, this cache is stale.
    db.session.execute(update(Case).where(Case.id == case.id).values(version=2))
    db.session.commit()
    task = case.open_tasks[0]
    result = complete_task(task_id=task.id, username="city-dispatcher", data={"city_dispatch_note": "转"})
    assert result.open_tasks[0].bpmn_id == "Task_DistrictDispatch"
    reloaded = _peek(case.id, 3)
    assert reloaded is not None and reloaded is not cached
    assert get_case(case.id).status == "running"


def test_a_completed_case_is_not_kept_in_memory(demo):
    case = start_case(process_id="diversion", data={**NOISE, "category": "theft", "description": "电动车被盗"})
    assert case.status == "completed"  # police business ends at once
    assert WORKFLOWS.take(case.id, 1) is None

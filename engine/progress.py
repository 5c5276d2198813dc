"""Which BPMN elements of a case are done, active or overdue: what a diagram viewer highlights."""

from dataclasses import dataclass

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import case_store
from engine.case_store import TASK
from engine.db import utcnow
from engine.models import ACTIVE_TASK_STATUSES
from engine.org import Actor
from engine.runtime import parsed_version
from engine.serialization import load_workflow
from engine.transaction import connection
from engine.visibility import require_visible_case

_ACTIVE = TaskState.READY | TaskState.STARTED | TaskState.WAITING


@dataclass(frozen=True)
class CaseProgress:
    case_id: int
    process_id: str
    process_version: int
    completed: list[str]
    active: list[str]
    overdue: list[str]


def case_progress(case_id: int, *, actor: Actor) -> CaseProgress:
    """Return the element ids of a case's completed, active and overdue steps (loads its workflow)."""
    require_visible_case(actor, case_id)
    case = case_store.load_case(case_id)
    parsed = parsed_version(case.process_version_id, case.content_hash, case.process_id)
    workflow = load_workflow(case_store.load_state(case_id), parsed)
    completed, active = set(), set()
    for task in workflow.get_tasks():
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if bpmn_id is None:
            continue
        if task.state == TaskState.COMPLETED:
            completed.add(bpmn_id)
        elif task.state & _ACTIVE:
            active.add(bpmn_id)
    overdue = connection().execute(
        select(TASK.c.bpmn_id).where(TASK.c.case_id == case_id, TASK.c.status.in_(ACTIVE_TASK_STATUSES),
                                     TASK.c.due_at < utcnow())).scalars()
    return CaseProgress(case_id, case.process_id, case.process_version, sorted(completed), sorted(active),
                        sorted(set(overdue)))

"""Run a case's workflow: load it, let the engine work, save it, and mirror its user tasks."""

from collections.abc import Callable
from datetime import datetime

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import audit
from engine.db import db, utcnow
from engine.deadlines import due_at
from engine.errors import ProcessError
from engine.models import ACTIVE_TASK_STATUSES, Case, ProcessVersion, Task
from engine.org import candidate_agency
from engine.scripting import ServiceCallError
from engine.serialization import dump_workflow, load_workflow
from engine.specs import ParsedProcess, spec_for_version
from processes.agency_kinds import kind_for_lane


def parsed_version(version: ProcessVersion) -> ParsedProcess:
    return spec_for_version(version.id, version.content_hash, version.process_id, version.sources)


def load_case_workflow(case: Case) -> BpmnWorkflow:
    return load_workflow(case.state, parsed_version(case.process_version))


def run_engine(step: Callable[[], object]) -> None:
    """Run engine work; turn any failure of the process into a ProcessError that names the task."""
    try:
        step()
    except SpiffWorkflowException as error:
        task_spec = getattr(error, "task_spec", None) or getattr(getattr(error, "task", None), "task_spec", None)
        where = f"{task_spec.bpmn_id} ({task_spec.bpmn_name}): " if task_spec is not None else ""
        raise ProcessError(f"the process failed at {where}{error}") from None
    except (ServiceCallError, ValueError, TypeError, KeyError, NameError) as error:
        raise ProcessError(f"the process failed: {error}") from None


def _next_timer_at(workflow: BpmnWorkflow) -> datetime | None:
    deadlines = []
    for event in workflow.waiting_events():
        if "Timer" in event.event_type and event.value:
            try:
                deadlines.append(datetime.fromisoformat(event.value))
            except (TypeError, ValueError):
                continue
    return min(deadlines, default=None)


def save_case(case: Case, workflow: BpmnWorkflow, *, actor_id: int | None) -> None:
    """Store the workflow state and the columns queries need; note the end of the case."""
    case.state = dump_workflow(workflow)
    case.next_timer_at = _next_timer_at(workflow)
    case.updated_at = utcnow()
    if workflow.is_completed() and case.status == "running":
        case.status = "completed"
        case.completed_at = utcnow()
        audit.record("case_completed", case_id=case.id, actor_id=actor_id)


def _new_task_row(case: Case, spiff_task, now: datetime) -> Task:
    spec = spiff_task.task_spec
    properties = getattr(spec, "extensions", {}).get("properties", {})
    kind = kind_for_lane(spec.lane)
    agency = candidate_agency(kind.code, case.jurisdiction_path) if kind else None
    return Task(
        case_id=case.id, spiff_task_id=str(spiff_task.id), bpmn_id=spec.bpmn_id,
        name=spec.bpmn_name or spec.bpmn_id, lane=spec.lane, agency_kind=kind.code if kind else None,
        candidate_agency_id=agency.id if agency else None, form=properties.get("form"),
        stage=properties.get("stage"), returnable=properties.get("returnable") == "true",
        status="open", created_at=now, due_at=due_at(properties.get("deadline"), now),
    )


def sync_tasks(case: Case, workflow: BpmnWorkflow, *, actor_id: int | None) -> None:
    """Mirror the workflow's READY user tasks into task rows; cancel rows whose task went away."""
    now = utcnow()
    ready = {str(task.id): task for task in workflow.get_tasks(state=TaskState.READY, manual=True)}
    active = db.session.scalars(
        select(Task).where(Task.case_id == case.id, Task.status.in_(ACTIVE_TASK_STATUSES))
    ).all()
    for row in active:
        if row.spiff_task_id not in ready:
            # An interrupting event (a boundary timer, an end of the case) took the task away.
            row.status = "cancelled"
            row.completed_at = now
            audit.record("cancelled", case_id=case.id, task_id=row.id, actor_id=actor_id)
    known = {row.spiff_task_id for row in active}
    new_rows = [_new_task_row(case, task, now) for sid, task in ready.items() if sid not in known]
    db.session.add_all(new_rows)
    db.session.flush()
    for row in new_rows:
        audit.record("task_created", case_id=case.id, task_id=row.id, actor_id=actor_id,
                     data={"bpmn_id": row.bpmn_id, "agency_id": row.candidate_agency_id})

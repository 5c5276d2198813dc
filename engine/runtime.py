"""Run a case's workflow: get it, let the engine work, store it, and mirror its user tasks."""

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import partial

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Row

from engine import audit, case_store, notifications, reporting
from engine.calendar import WorkingCalendar
from engine.db import utcnow
from engine.deadlines import due_at
from engine.errors import ProcessError
from engine.org import AgencyRef, CandidateResolver
from engine.reference import command_lookups
from engine.results import CaseView, TaskView, case_view, new_task_view, task_view
from engine.scripting import ServiceCallError
from engine.serialization import dump_workflow, load_workflow
from engine.specs import ParsedProcess, spec_for_version
from engine.survey_offers import RETURN_VISIT_STAGE, offer_survey
from engine.transaction import Unit
from engine.workflow_cache import WORKFLOWS
from processes.agency_kinds import AgencyKind, kind_for_code, kind_for_lane


def parsed_version(version_id: int, content_hash: str, process_id: str) -> ParsedProcess:
    return spec_for_version(version_id, content_hash, process_id, lambda: case_store.load_sources(version_id))


def checkout_workflow(case: Row) -> BpmnWorkflow:
    """Return the case's workflow: from memory when it holds this version, else from the database."""
    cached = WORKFLOWS.take(case.id, case.version)
    if cached is not None:
        return cached
    parsed = parsed_version(case.process_version_id, case.content_hash, case.process_id)
    return load_workflow(case_store.load_state(case.id), parsed)


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


def timer_deadlines(workflow: BpmnWorkflow) -> dict[str, datetime]:
    """Map each waiting timer's name to its deadline."""
    deadlines = {}
    for event in workflow.waiting_events():
        if "Timer" in event.event_type and event.value:
            try:
                deadlines[event.name] = datetime.fromisoformat(event.value)
            except (TypeError, ValueError):
                continue
    return deadlines


def ready_tasks(workflow: BpmnWorkflow) -> list[Task]:
    """The workflow's READY tasks, once per save: the case's facts and its task rows both follow from them."""
    return workflow.get_tasks(state=TaskState.READY)


def finished(workflow: BpmnWorkflow, ready: list[Task]) -> bool:
    """Whether the workflow is completed: never while a task is READY, so only then is the tree walked."""
    return not ready and workflow.is_completed()


def case_state(workflow: BpmnWorkflow, ready: list[Task], *, status: str, completed_at: datetime | None) -> dict:
    """Return the case columns that follow from its workflow (and its READY tasks): state, next timer,
    status, end time, and the reporting facts its data holds."""
    now = utcnow()
    if status == "running" and finished(workflow, ready):
        status, completed_at = "completed", now
    return {"state": dump_workflow(workflow), "next_timer_at": min(timer_deadlines(workflow).values(), default=None),
            "status": status, "completed_at": completed_at, "updated_at": now, **reporting.facts(workflow, ready)}


def _agency_kind(spiff_task, properties: dict) -> AgencyKind | None:
    """The lane's agency kind, or for a task that names a data key (`agency_kind_from`), the kind in it.

    The second serves multi-instance tasks whose instances go to different agencies, such as the
    joint-mediation requests sent to each requested agency.
    """
    key = properties.get("agency_kind_from")
    if not key:
        return kind_for_lane(spiff_task.task_spec.lane)
    code = spiff_task.data.get(key)
    kind = kind_for_code(code) if isinstance(code, str) else None
    if kind is None:
        raise ProcessError(f"task {spiff_task.task_spec.bpmn_id}: {key} = {code!r} is not an agency kind code")
    return kind


def _new_task(case_id: int, jurisdiction_path: str, spiff_task, now: datetime,
              resolver: CandidateResolver, calendar: WorkingCalendar) -> tuple[dict, AgencyRef | None]:
    spec = spiff_task.task_spec
    properties = getattr(spec, "extensions", {}).get("properties", {})
    kind = _agency_kind(spiff_task, properties)
    agency = resolver.resolve(kind.code, jurisdiction_path) if kind else None
    return {
        "case_id": case_id, "jurisdiction_path": jurisdiction_path, "spiff_task_id": str(spiff_task.id),
        "bpmn_id": spec.bpmn_id,
        "name": spec.bpmn_name or spec.bpmn_id, "lane": spec.lane, "agency_kind": kind.code if kind else None,
        "candidate_agency_id": agency.id if agency else None, "form": properties.get("form"),
        "stage": properties.get("stage"), "returnable": properties.get("returnable") == "true",
        "status": "open", "created_at": now, "deadline": properties.get("deadline"),
        "due_at": due_at(properties.get("deadline"), now, calendar),
    }, agency


# The attribute on a workflow that names its READY user tasks as the last save mirrored them.
_MIRRORED = "gongzhi_mirrored_tasks"


def _user_tasks(ready: list[Task]) -> dict[str, Task]:
    """The user tasks among READY tasks, by id as task rows keep it."""
    return {str(task.id): task for task in ready if task.task_spec.manual}


def waiting_tasks(workflow: BpmnWorkflow) -> set[str]:
    """The ids of the workflow's READY user tasks: as saved, exactly the case's open and claimed task rows.

    A workflow kept in memory since its save remembers them (see sync_tasks); one just loaded is walked.
    """
    mirrored = getattr(workflow, _MIRRORED, None)
    return set(_user_tasks(ready_tasks(workflow)) if mirrored is None else mirrored)


def sync_tasks(case_id: int, jurisdiction_path: str, workflow: BpmnWorkflow, ready_now: list[Task], *,
               actor_id: int | None, mirrored: set[str]) -> list[TaskView]:
    """Mirror the READY user tasks (of `ready_now`, the READY tasks) into task rows, cancel rows whose task
    went away; return the open ones.

    `mirrored` names the tasks that have an open or claimed row in this command (the workflow's READY user
    tasks as it was saved, less any this command has closed): when it is empty, no row is read.
    """
    now = utcnow()
    ready = _user_tasks(ready_now)
    setattr(workflow, _MIRRORED, frozenset(ready))  # what the rows hold once this command commits
    active = case_store.active_tasks(case_id) if mirrored else []
    kept = []
    for row in active:
        if row.spiff_task_id in ready:
            kept.append(task_view(row))
        else:  # an interrupting event (a boundary timer) took the task away
            case_store.update_task(row, status="cancelled", completed_at=now)
            audit.record("cancelled", case_id=case_id, task_id=row.id, actor_id=actor_id)
    known = {row.spiff_task_id for row in active}
    lookups = command_lookups()
    resolver, calendar = CandidateResolver(lookups.candidates), WorkingCalendar(lookups.years)
    created = [_new_task(case_id, jurisdiction_path, task, now, resolver, calendar)
               for spiff_id, task in ready.items() if spiff_id not in known]
    inserted, listening = [], set()
    for (task_id, listens), (values, agency) in zip(case_store.insert_tasks([v for v, _ in created]), created,
                                                     strict=True):
        audit.record("task_created", case_id=case_id, task_id=task_id, actor_id=actor_id,
                     data={"bpmn_id": values["bpmn_id"], "agency": agency.code if agency else None})
        kept.append(new_task_view(task_id, values, agency))
        inserted.append((task_id, values, agency))
        if listens:
            listening.add(agency.id)
    notifications.announce_tasks(case_id, inserted, listening=listening)
    for task_id, values, _agency in inserted:
        if values["stage"] == RETURN_VISIT_STAGE:
            offer_survey(case_id, task_id, ready[values["spiff_task_id"]].data)
    return kept


def keep(unit: Unit, case_id: int, version: int, workflow: BpmnWorkflow, ready: list[Task]) -> None:
    """Keep a running case's workflow (with its READY tasks) in memory once the command commits; a completed
    case takes no more."""
    if not finished(workflow, ready):
        unit.after_commit(partial(WORKFLOWS.put, case_id, version, workflow))


def store(case: Row, workflow: BpmnWorkflow, unit: Unit, *, actor_id: int | None, mirrored: set[str]) -> CaseView:
    """Save an existing case's workflow and task rows in this command; return the case as saved.

    `mirrored` is as for sync_tasks. After the commit the workflow is kept in memory for the case's next
    command (see keep).
    """
    ready = ready_tasks(workflow)
    values = case_state(workflow, ready, status=case.status, completed_at=case.completed_at)
    version = case_store.update_case(case, **values)
    rows = sync_tasks(case.id, case.jurisdiction_path, workflow, ready, actor_id=actor_id, mirrored=mirrored)
    if values["status"] == "completed" and case.status == "running":
        audit.record("case_completed", case_id=case.id, actor_id=actor_id)
        notifications.announce_closure(case.id, workflow.data)
    keep(unit, case.id, version, workflow, ready)
    return replace(case_view(case, rows), status=values["status"], completed_at=values["completed_at"])

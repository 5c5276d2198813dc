"""Commands on tasks: claim, unclaim, complete, return and reassign."""

from dataclasses import replace
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Row

from engine import audit, case_store, notifications, reporting
from engine.db import utcnow
from engine.errors import ConflictError, InvalidInputError, PermissionDeniedError
from engine.org import Actor, find_agency, is_within
from engine.results import CaseView, TaskView, task_view
from engine.runtime import checkout_workflow, run_engine, store, waiting_tasks
from engine.scripting import reserved_names
from engine.transaction import Unit, transaction
from engine.visibility import require_can_act
from processes.forms import form_errors

ENGINE_KEYS = {"returned", "return_reason"}


def _require_open_for(task: Row, actor: Actor) -> None:
    if task.status not in ("open", "claimed"):
        raise ConflictError(f"task {task.id} is already {task.status}")
    if task.status == "claimed" and task.claimed_by_id != actor.id:
        raise ConflictError(f"task {task.id} is claimed by {task.claimed_by}; they must unclaim it first")


def claim_task(*, task_id: int, username: str) -> TaskView:
    """Sign for a task: it becomes the user's own until completed or unclaimed."""
    with transaction():
        task, actor = case_store.load_task_and_actor(task_id, username)
        require_can_act(actor, task)
        if task.status == "claimed" and task.claimed_by_id == actor.id:
            return task_view(task)
        _require_open_for(task, actor)
        now = utcnow()
        case_store.update_task(task, status="claimed", claimed_by_id=actor.id, claimed_at=now)
        reporting.note_handling_started(task, now, diverted_at=task.case_diverted_at)
        audit.record("claimed", case_id=task.case_id, task_id=task.id, actor_id=actor.id)
        return replace(task_view(task), status="claimed", claimed_by=actor.username)


def unclaim_task(*, task_id: int, username: str) -> TaskView:
    """Give a claimed task back to its agency's queue (the claimant, or a supervisor above)."""
    with transaction():
        task, actor = case_store.load_task_and_actor(task_id, username)
        require_can_act(actor, task)
        if task.status != "claimed":
            raise ConflictError(f"task {task.id} is {task.status}, not claimed")
        if task.claimed_by_id != actor.id and not actor.has_role("supervisor"):
            raise PermissionDeniedError(
                f"task {task.id} is claimed by {task.claimed_by}; only they or a supervisor "
                "above the agency can unclaim it")
        case_store.update_task(task, status="open", claimed_by_id=None, claimed_at=None)
        audit.record("unclaimed", case_id=task.case_id, task_id=task.id, actor_id=actor.id)
        return replace(task_view(task), status="open", claimed_by=None)


def _validate_form(task: Row, data: dict) -> None:
    if not isinstance(data, dict):
        raise InvalidInputError("form data must be a JSON object")
    misused = (reserved_names() | ENGINE_KEYS) & set(data)
    if misused:
        raise InvalidInputError(f"form data may not set the reserved names {sorted(misused)}",
                                details={name: ["reserved name"] for name in misused})
    errors = form_errors(task.form, data) if task.form else {}
    if errors:
        raise InvalidInputError(f"the form of task {task.id} ({task.name}) has errors", details=errors)


def _finish(unit: Unit, task: Row, actor: Actor, case: Row, data: dict, *, outcome: str,
            submitted: dict) -> CaseView:
    """Run the task with `data`; the audit event keeps what the user `submitted`."""
    _require_open_for(task, actor)
    return finish_task(unit, task, actor.id, data, outcome=outcome, submitted=submitted, case=case)


def finish_task(unit: Unit, task: Row, actor_id: int | None, data: dict, *, outcome: str,
                submitted: dict, case: Row | None = None) -> CaseView:
    """Run an open task with `data` in the running command, for a user or (actor_id None) a resident.

    `case` is the task's case as read with it in this command, else it is read here.
    """
    if case is None:
        case = case_store.load_case(task.case_id)
    workflow = checkout_workflow(case)
    spiff_task = workflow.get_task_from_id(UUID(task.spiff_task_id))
    if spiff_task.state != TaskState.READY:
        raise ConflictError(f"task {task.id} is no longer waiting; reload the case")
    mirrored = waiting_tasks(workflow) - {task.spiff_task_id}  # the other open and claimed task rows
    spiff_task.data.update(data)

    def advance():
        spiff_task.run()
        workflow.do_engine_steps()

    run_engine(advance)
    now = utcnow()
    case_store.update_task(task, status=outcome, completed_at=now, completed_by_id=actor_id,
                           claimed_by_id=task.claimed_by_id or actor_id, claimed_at=task.claimed_at or now)
    reporting.note_handling_started(task, now, diverted_at=case.diverted_at)
    reporting.note_visit(task, submitted)
    audit.record(outcome, case_id=case.id, task_id=task.id, actor_id=actor_id, data=submitted)
    return store(case, workflow, unit, actor_id=actor_id, mirrored=mirrored)


def complete_task(*, task_id: int, username: str, data: dict) -> CaseView:
    """Complete a task with its form data and run the case on until people or events are needed."""
    with transaction() as unit:
        task, actor, case = case_store.load_task_actor_and_case(task_id, username)
        require_can_act(actor, task)  # before anything that would tell an outsider about the task
        _validate_form(task, data)
        payload = {**data, "returned": False} if task.returnable else dict(data)
        return _finish(unit, task, actor, case, payload, outcome="completed", submitted=data)


def return_task(*, task_id: int, username: str, reason: str) -> CaseView:
    """Send a misrouted task back with a reason; the process decides where it goes next."""
    reason = (reason or "").strip()
    with transaction() as unit:
        task, actor, case = case_store.load_task_actor_and_case(task_id, username)
        require_can_act(actor, task)
        if not reason:
            raise InvalidInputError("a return needs a reason", details={"reason": ["required"]})
        if not task.returnable:
            raise InvalidInputError(f"task {task.id} ({task.name}) cannot be returned: its process does not "
                                    "handle returns at this step")
        unit.context["returned"] = reason  # the agencies the matter goes to hear why
        return _finish(unit, task, actor, case, {"returned": True, "return_reason": reason}, outcome="returned",
                       submitted={"return_reason": reason})


def reassign_task(*, task_id: int, username: str, agency_code: str, reason: str) -> TaskView:
    """Send an open or claimed task to another agency (改派); a supervisor's decision, with a reason.

    The supervisor must be above the task's agency and above the new one (or the new one serves every
    area). A claimed task goes back to the open queue of its new agency. Raises NotFoundError when the
    supervisor may not see the task, PermissionDeniedError outside their area, InvalidInputError for a
    missing reason or an unknown or unchanged agency, and ConflictError when the task is closed or was
    changed meanwhile.
    """
    reason, agency_code = (reason or "").strip(), (agency_code or "").strip()
    with transaction():
        task, actor = case_store.load_task_and_actor(task_id, username)
        require_can_act(actor, task)
        if not actor.has_role("supervisor"):
            raise PermissionDeniedError(f"only a supervisor can reassign task {task.id}; ask the supervisor "
                                        f"above {task.agency_name or 'its agency'}")
        if not reason:
            raise InvalidInputError("a reassignment needs a reason", details={"reason": ["required"]})
        if task.status not in ("open", "claimed"):
            raise ConflictError(f"task {task.id} is already {task.status}; only open or claimed tasks can be "
                                "reassigned")
        target = find_agency(agency_code) if agency_code else None
        if target is None:
            raise InvalidInputError(f"agency {agency_code!r} does not exist; give the code of an agency",
                                    details={"agency": ["unknown agency code"]})
        if target.id == task.candidate_agency_id:
            raise InvalidInputError(f"task {task.id} is already at {target.name} ({target.code}); choose "
                                    "another agency", details={"agency": ["the task is already at this agency"]})
        if not (target.cross_area or is_within(target.path, actor.agency_path)):
            raise PermissionDeniedError(f"{target.name} ({target.code}) is outside the area of "
                                        f"{actor.agency_name}; you can reassign only to agencies in your area")
        case_store.update_task(task, candidate_agency_id=target.id, status="open", claimed_by_id=None,
                               claimed_at=None)
        notifications.announce_tasks(task.case_id, [(task.id, {"name": task.name, "due_at": task.due_at,
                                                                "created_at": utcnow()}, target)])
        audit.record("reassigned", case_id=task.case_id, task_id=task.id, actor_id=actor.id,
                     data={"from": task.agency_code, "to": target.code, "reason": reason})
        return replace(task_view(task), agency_code=target.code, agency_name=target.name, status="open",
                       claimed_by=None)

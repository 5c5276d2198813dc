"""Commands on tasks: claim, unclaim, complete and return."""

from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import update

from engine import audit
from engine.db import db, utcnow
from engine.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from engine.models import Case, Task, User
from engine.org import get_user, is_within, require_can_act
from engine.queries import get_case
from engine.results import CaseView, TaskView, task_view
from engine.runtime import load_case_workflow, run_engine, save_case, sync_tasks
from engine.scripting import reserved_names
from engine.transaction import transaction
from processes.forms import form_errors

ENGINE_KEYS = {"returned", "return_reason"}


def _load_task(task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None:
        raise NotFoundError(f"task {task_id} does not exist")
    return task


def _require_open_for(task: Task, user: User) -> None:
    if task.status not in ("open", "claimed"):
        raise ConflictError(f"task {task.id} is already {task.status}")
    if task.status == "claimed" and task.claimed_by_id != user.id:
        raise ConflictError(f"task {task.id} is claimed by {task.claimed_by.username}; they must unclaim it first")


def claim_task(*, task_id: int, username: str) -> TaskView:
    """Sign for a task: it becomes the user's own until completed or unclaimed."""
    with transaction():
        user, task = get_user(username), _load_task(task_id)
        require_can_act(user, task)
        if task.status == "claimed" and task.claimed_by_id == user.id:
            return task_view(task)
        _require_open_for(task, user)
        claimed = db.session.execute(
            update(Task).where(Task.id == task.id, Task.status == "open")
            .values(status="claimed", claimed_by_id=user.id, claimed_at=utcnow())
        ).rowcount
        if claimed != 1:
            raise ConflictError(f"task {task.id} was claimed by someone else just now")
        audit.record("claimed", case_id=task.case_id, task_id=task.id, actor_id=user.id)
    db.session.refresh(task)
    return task_view(task)


def unclaim_task(*, task_id: int, username: str) -> TaskView:
    """Give a claimed task back to its agency's queue (the claimant, or a supervisor above)."""
    with transaction():
        user, task = get_user(username), _load_task(task_id)
        if task.status != "claimed":
            raise ConflictError(f"task {task.id} is {task.status}, not claimed")
        supervises = user.has_role("supervisor") and task.candidate_agency is not None and is_within(
            task.candidate_agency.path, user.agency.path)
        if task.claimed_by_id != user.id and not supervises:
            raise PermissionDeniedError(
                f"task {task.id} is claimed by {task.claimed_by.username}; only they or a supervisor "
                "above the agency can unclaim it")
        task.status, task.claimed_by_id, task.claimed_at = "open", None, None
        audit.record("unclaimed", case_id=task.case_id, task_id=task.id, actor_id=user.id)
    return task_view(task)


def _validate_form(task: Task, data: dict) -> None:
    if not isinstance(data, dict):
        raise InvalidInputError("form data must be a JSON object")
    misused = (reserved_names() | ENGINE_KEYS) & set(data)
    if misused:
        raise InvalidInputError(f"form data may not set the reserved names {sorted(misused)}",
                                details={name: ["reserved name"] for name in misused})
    errors = form_errors(task.form, data) if task.form else {}
    if errors:
        raise InvalidInputError(f"the form of task {task.id} ({task.name}) has errors", details=errors)


def _finish(task: Task, user: User, data: dict, *, outcome: str) -> int:
    require_can_act(user, task)
    _require_open_for(task, user)
    case = db.session.get(Case, task.case_id)
    workflow = load_case_workflow(case)
    spiff_task = workflow.get_task_from_id(UUID(task.spiff_task_id))
    if spiff_task.state != TaskState.READY:
        raise ConflictError(f"task {task.id} is no longer waiting; reload the case")
    spiff_task.data.update(data)

    def advance():
        spiff_task.run()
        workflow.do_engine_steps()

    run_engine(advance)
    now = utcnow()
    task.status, task.completed_at, task.completed_by_id = outcome, now, user.id
    if task.claimed_by_id is None:
        task.claimed_by_id, task.claimed_at = user.id, now
    audit.record(outcome, case_id=case.id, task_id=task.id, actor_id=user.id, data=data)
    save_case(case, workflow, actor_id=user.id)
    sync_tasks(case, workflow, actor_id=user.id)
    return case.id


def complete_task(*, task_id: int, username: str, data: dict) -> CaseView:
    """Complete a task with its form data and run the case on until people or events are needed."""
    with transaction():
        user, task = get_user(username), _load_task(task_id)
        _validate_form(task, data)
        payload = {**data, "returned": False} if task.returnable else dict(data)
        case_id = _finish(task, user, payload, outcome="completed")
    return get_case(case_id)


def return_task(*, task_id: int, username: str, reason: str) -> CaseView:
    """Send a misrouted task back with a reason; the process decides where it goes next."""
    reason = (reason or "").strip()
    with transaction():
        user, task = get_user(username), _load_task(task_id)
        if not reason:
            raise InvalidInputError("a return needs a reason", details={"reason": ["required"]})
        if not task.returnable:
            raise InvalidInputError(f"task {task.id} ({task.name}) cannot be returned: its process does not "
                                    "handle returns at this step")
        case_id = _finish(task, user, {"returned": True, "return_reason": reason}, outcome="returned")
    return get_case(case_id)


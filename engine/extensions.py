"""Task extensions (延期): staff ask for more time on a task, a supervisor above its agency decides.

A request is decided by the supervisors of the agency above the task's agency (its parent) and by the
supervisors of any agency further up. An approved request moves the task's due time, clears a breach of
the old one and cancels the supervision steps that breach had scheduled.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row, bindparam, func, insert, or_, select, text, update

from engine import audit, case_store
from engine.case_store import TASK
from engine.db import utcnow
from engine.deadlines import due_at
from engine.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from engine.models import EXTENSION_STATUSES, TaskExtension
from engine.org import AGENCY, USER, Actor, get_actor, is_within
from engine.queries import Page
from engine.transaction import connection, transaction
from engine.visibility import can_see_case, require_can_act
from processes.deadlines import DeadlineSyntaxError, parse_deadline

EXTENSION = TaskExtension.__table__
# Further than this is a new deadline to plan, not an extension.
LONGEST_EXTENSION = timedelta(days=366)
_TASK_AGENCY, _DECIDER = AGENCY.alias("task_agency"), AGENCY.alias("decider")
_REQUESTER, _DECIDED_BY = USER.alias("requester"), USER.alias("decided_by")
_EXTENSIONS = (
    select(EXTENSION.c.id, EXTENSION.c.task_id, EXTENSION.c.case_id, TASK.c.name.label("task_name"),
           _TASK_AGENCY.c.code.label("agency_code"), _DECIDER.c.code.label("decider_agency_code"),
           _DECIDER.c.name.label("decider_agency_name"), _REQUESTER.c.username.label("requested_by"),
           EXTENSION.c.reason, EXTENSION.c.previous_due_at, EXTENSION.c.requested_due_at, EXTENSION.c.status,
           _DECIDED_BY.c.username.label("decided_by"), EXTENSION.c.decided_at, EXTENSION.c.decision_note,
           EXTENSION.c.created_at)
    .select_from(EXTENSION.join(TASK, EXTENSION.c.task_id == TASK.c.id)
                 .outerjoin(_TASK_AGENCY, TASK.c.candidate_agency_id == _TASK_AGENCY.c.id)
                 .join(_DECIDER, EXTENSION.c.decider_agency_id == _DECIDER.c.id)
                 .join(_REQUESTER, EXTENSION.c.requested_by_id == _REQUESTER.c.id)
                 .outerjoin(_DECIDED_BY, EXTENSION.c.decided_by_id == _DECIDED_BY.c.id))
)
_EXTENSION_BY_ID = _EXTENSIONS.where(EXTENSION.c.id == bindparam("extension_id"))
_TO_DECIDE = (
    select(EXTENSION.c.id, EXTENSION.c.task_id, EXTENSION.c.case_id, EXTENSION.c.status,
           EXTENSION.c.requested_by_id, EXTENSION.c.previous_due_at, EXTENSION.c.requested_due_at,
           _DECIDER.c.path.label("decider_path"), _DECIDER.c.name.label("decider_name"))
    .join(_DECIDER, EXTENSION.c.decider_agency_id == _DECIDER.c.id)
    .where(EXTENSION.c.id == bindparam("extension_id"))
)
_PARENT = select(AGENCY.c.parent_id).where(AGENCY.c.id == bindparam("agency_id"))
_PENDING = select(EXTENSION.c.id).where(EXTENSION.c.task_id == bindparam("task_id"), EXTENSION.c.status == "pending")
_INSERT = insert(EXTENSION).returning(EXTENSION.c.id)
_DECIDE = (
    update(EXTENSION).where(EXTENSION.c.id == bindparam("extension_id"), EXTENSION.c.status == "pending")
    .values(status=bindparam("new_status"), decided_by_id=bindparam("decided_by_id"),
            decided_at=bindparam("decided_at"), decision_note=bindparam("note"))
)
_CANCEL_SUPERVISION = text("UPDATE supervision_step SET status = 'cancelled' "
                           "WHERE task_id = :task_id AND status = 'pending'")


@dataclass(frozen=True)
class ExtensionView:
    id: int
    task_id: int
    case_id: int
    task_name: str
    agency_code: str | None
    decider_agency_code: str
    decider_agency_name: str
    requested_by: str
    reason: str
    previous_due_at: datetime | None
    requested_due_at: datetime
    status: str
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    created_at: datetime


def _view(extension_id: int) -> ExtensionView:
    return ExtensionView(**connection().execute(_EXTENSION_BY_ID, {"extension_id": extension_id}).one()._mapping)


def _invalid(field: str, message: str, problem: str) -> InvalidInputError:
    return InvalidInputError(message, details={field: [problem]})


def _new_due(task: Row, until: datetime | None, extra: str | None) -> datetime:
    if (until is None) == (not extra):
        raise InvalidInputError("give exactly one of until (the new deadline) or extra (more time, such as "
                                "'2 working days')", details={"until": ["give until or extra, not both"],
                                                              "extra": ["give until or extra, not both"]})
    field = "until" if until is not None else "extra"
    if until is not None and until.tzinfo is None:
        raise _invalid("until", "until needs a UTC offset, such as 2025-06-03T17:30:00+08:00", "needs a UTC offset")
    if extra:
        try:
            declared = parse_deadline(extra)
        except DeadlineSyntaxError as error:
            raise _invalid("extra", str(error), "not a deadline such as '2 working days'") from None
        days = declared.amount / {"minutes": 1440, "hours": 24}.get(declared.unit, 1)
        if days > LONGEST_EXTENSION.days:
            raise _invalid("extra", f"{extra!r} is too long: an extension adds at most {LONGEST_EXTENSION.days} days",
                           "too long")
        until = due_at(extra, task.due_at)
    try:
        if until <= task.due_at:
            raise _invalid(field, f"the new deadline must be later than the current one ({task.due_at.isoformat()})",
                           "not later than the current deadline")
        if until <= utcnow():
            raise _invalid(field, f"the new deadline {until.isoformat()} has already passed; ask for more time",
                           "already passed")
        if until - task.due_at > LONGEST_EXTENSION:
            raise _invalid(field, f"an extension adds at most {LONGEST_EXTENSION.days} days to the current deadline",
                           "too far")
    except OverflowError:
        raise _invalid(field, "the new deadline is out of range", "out of range") from None
    return until


def _decider_agency(task: Row) -> int:
    parent_id = None
    if task.candidate_agency_id is not None:
        parent_id = connection().execute(_PARENT, {"agency_id": task.candidate_agency_id}).scalar()
    if parent_id is None:
        raise InvalidInputError(f"task {task.id} is at {task.agency_name or 'no agency'}, with nobody above it to "
                                "approve an extension")
    return parent_id


def request_extension(*, task_id: int, username: str, reason: str, until: datetime | None = None,
                      extra: str | None = None) -> ExtensionView:
    """Ask for more time on an open or claimed task, with a reason: a new deadline `until`, or `extra` time.

    `extra` is a deadline declaration ("2 working days", "4 hours") counted from the current due time.
    The new deadline must be later than the current one and in the future. Raises NotFoundError when
    the user may not see the task, PermissionDeniedError when they may not act on it, InvalidInputError
    for a missing reason, a bad deadline, a task without a deadline or with no agency above it, and
    ConflictError when the task is closed or already has a pending request.
    """
    reason = (reason or "").strip()
    with transaction() as unit:
        task, actor = case_store.load_task_and_actor(task_id, username)
        require_can_act(actor, task)
        if not reason:
            raise _invalid("reason", "an extension needs a reason", "required")
        if task.status not in ("open", "claimed"):
            raise ConflictError(f"task {task.id} is already {task.status}; only open or claimed tasks can be "
                                "extended")
        if task.due_at is None:
            raise InvalidInputError(f"task {task.id} ({task.name}) has no deadline, so there is nothing to extend")
        new_due = _new_due(task, until, extra)
        decider_id = _decider_agency(task)
        if unit.conn.execute(_PENDING, {"task_id": task.id}).first() is not None:
            raise ConflictError(f"task {task.id} already has an extension request waiting for a decision")
        extension_id = unit.conn.execute(_INSERT, {
            "task_id": task.id, "case_id": task.case_id, "decider_agency_id": decider_id,
            "requested_by_id": actor.id, "reason": reason, "previous_due_at": task.due_at,
            "requested_due_at": new_due, "status": "pending", "created_at": utcnow()}).scalar_one()
        audit.record("extension_requested", case_id=task.case_id, task_id=task.id, actor_id=actor.id, data={
            "extension_id": extension_id, "reason": reason, "from": task.due_at.isoformat(),
            "to": new_due.isoformat()})
        return _view(extension_id)


def _require_decider(actor: Actor, request: Row) -> None:
    if actor.has_role("supervisor") and is_within(request.decider_path, actor.agency_path):
        if request.requested_by_id == actor.id:
            raise PermissionDeniedError(f"extension {request.id} is your own request; another supervisor above "
                                        "decides it")
        return
    if not can_see_case(actor, request.case_id):
        raise NotFoundError(f"extension {request.id} does not exist")
    raise PermissionDeniedError(f"only a supervisor of {request.decider_name} or above it can decide "
                                f"extension {request.id}")


def decide_extension(*, extension_id: int, username: str, approve: bool, note: str | None = None) -> ExtensionView:
    """Approve or refuse a pending extension request; refusing needs a note.

    Only supervisors of the deciding agency (the one above the task's) or of an agency above it decide,
    and not on their own request. Approving moves the task's due time, clears its breach and cancels
    its pending supervision steps. Raises NotFoundError when the user may not see the request,
    PermissionDeniedError when they may not decide it, InvalidInputError for a refusal without a note,
    and ConflictError when the request was decided already or the task is closed or changed meanwhile.
    """
    note = (note or "").strip() or None
    with transaction() as unit:
        actor = get_actor(username)
        request = unit.conn.execute(_TO_DECIDE, {"extension_id": extension_id}).first()
        if request is None:
            raise NotFoundError(f"extension {extension_id} does not exist")
        _require_decider(actor, request)
        if not approve and note is None:
            raise _invalid("note", "a refusal needs a note saying why", "required")
        if request.status != "pending":
            raise ConflictError(f"extension {extension_id} is already {request.status}")
        task, _ = case_store.load_task_and_actor(request.task_id, username)
        if approve and task.status not in ("open", "claimed"):
            raise ConflictError(f"task {task.id} is already {task.status}; its extension can no longer be approved")
        now = utcnow()
        decided = unit.conn.execute(_DECIDE, {"extension_id": extension_id, "new_status": "approved" if approve
                                              else "refused", "decided_by_id": actor.id, "decided_at": now,
                                              "note": note})
        if decided.rowcount != 1:
            raise ConflictError(f"extension {extension_id} was decided meanwhile; reload it")
        data = {"extension_id": extension_id, "note": note}
        if approve:
            case_store.move_task_due(task, request.requested_due_at)
            unit.conn.execute(_CANCEL_SUPERVISION, {"task_id": task.id})
            data.update({"from": task.due_at and task.due_at.isoformat(), "to": request.requested_due_at.isoformat()})
        audit.record("extension_approved" if approve else "extension_refused", case_id=task.case_id,
                     task_id=task.id, actor_id=actor.id, data=data, at=now)
        return _view(extension_id)


def get_extension(extension_id: int, actor: Actor) -> ExtensionView:
    """Return an extension request whose case the actor may see (NotFoundError otherwise)."""
    row = connection().execute(_EXTENSION_BY_ID, {"extension_id": extension_id}).first()
    if row is None or not can_see_case(actor, row.case_id):
        raise NotFoundError(f"extension {extension_id} does not exist")
    return ExtensionView(**row._mapping)


def list_extensions(*, actor: Actor | None, status: str | None = None, page: int = 1, page_size: int = 20) -> Page:
    """One page of extension requests, newest first, optionally of one status.

    A supervisor gets the requests they may decide, staff those on their agency's tasks, and everyone
    their own requests; an administrator, or no actor (the command line), gets all of them.
    """
    if status is not None and status not in EXTENSION_STATUSES:
        raise _invalid("status", f"unknown extension status {status!r}; use {', '.join(EXTENSION_STATUSES)}",
                       f"one of {', '.join(EXTENSION_STATUSES)}")
    query = _EXTENSIONS
    if actor is not None and not actor.has_role("admin"):
        scope = (func.substr(_DECIDER.c.path, 1, len(actor.agency_path)) == actor.agency_path
                 if actor.has_role("supervisor") else TASK.c.candidate_agency_id == actor.agency_id)
        query = query.where(or_(scope, EXTENSION.c.requested_by_id == actor.id))
    if status:
        query = query.where(EXTENSION.c.status == status)
    conn = connection()
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(query.order_by(EXTENSION.c.created_at.desc(), EXTENSION.c.id.desc())
                        .limit(page_size).offset((page - 1) * page_size))
    return Page([ExtensionView(**row._mapping) for row in rows], total, page, page_size)

"""Read-only queries for inboxes, case pages and process lists. They never deserialize a workflow."""

from sqlalchemy import select
from sqlalchemy.orm import undefer

from engine import case_store
from engine.case_store import TASK, TASKS
from engine.db import db
from engine.errors import InvalidInputError, NotFoundError
from engine.models import ACTIVE_TASK_STATUSES, TASK_STATUSES, Agency, AuditEvent, ProcessVersion, User
from engine.results import CaseView, ProcessVersionView, TaskView, case_view, event_view, task_view, version_view


def _usernames(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


def get_case(case_id: int, *, with_events: bool = True) -> CaseView:
    """Return a case with its open tasks and, by default, its audit events in order."""
    case = case_store.load_case(case_id)
    events = []
    if with_events:
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)).all()
        names = _usernames(row.actor_id for row in rows)
        events = [event_view(row, names) for row in rows]
    return case_view(case, [task_view(row) for row in case_store.active_tasks(case_id)], events)


def _id_of(model, column, value: str, what: str) -> int:
    found = db.session.scalar(select(model.id).where(column == value))
    if found is None:
        raise NotFoundError(f"{what} {value!r} does not exist")
    return found


def list_tasks(*, agency_code: str | None = None, username: str | None = None,
               statuses: tuple[str, ...] = ACTIVE_TASK_STATUSES, limit: int = 100) -> list[TaskView]:
    """List tasks of an agency and/or claimed by a user, soonest due first."""
    unknown = set(statuses) - set(TASK_STATUSES)
    if unknown:
        raise InvalidInputError(f"unknown task status {sorted(unknown)}; use {', '.join(TASK_STATUSES)}")
    query = TASKS.where(TASK.c.status.in_(statuses))
    if agency_code:
        query = query.where(TASK.c.candidate_agency_id == _id_of(Agency, Agency.code, agency_code, "agency"))
    if username:
        query = query.where(TASK.c.claimed_by_id == _id_of(User, User.username, username, "user"))
    query = query.order_by(TASK.c.due_at.is_(None), TASK.c.due_at, TASK.c.id).limit(limit)
    return [task_view(row) for row in db.session.execute(query)]


def list_processes() -> list[ProcessVersionView]:
    """List every deployed process version, newest version of each process first."""
    rows = db.session.scalars(
        select(ProcessVersion).options(undefer(ProcessVersion.sources))
        .order_by(ProcessVersion.process_id, ProcessVersion.version.desc())).all()
    names = _usernames(row.deployed_by_id for row in rows)
    return [version_view(row, names.get(row.deployed_by_id)) for row in rows]

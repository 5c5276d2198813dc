"""Read-only queries for inboxes, case pages and process lists. They never deserialize a workflow."""

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from engine.db import db
from engine.errors import InvalidInputError, NotFoundError
from engine.models import (
    ACTIVE_TASK_STATUSES,
    TASK_STATUSES,
    Agency,
    AuditEvent,
    Case,
    ProcessVersion,
    Task,
    User,
)
from engine.results import (
    CaseView,
    ProcessVersionView,
    TaskView,
    case_view,
    event_view,
    task_view,
    version_view,
)


def _usernames(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


def get_case(case_id: int, *, with_events: bool = True) -> CaseView:
    """Return a case with its open tasks and, by default, its audit events in order."""
    case = db.session.get(Case, case_id, options=[joinedload(Case.process_version), joinedload(Case.location)])
    if case is None:
        raise NotFoundError(f"case {case_id} does not exist")
    open_tasks = db.session.scalars(
        select(Task).options(joinedload(Task.candidate_agency), joinedload(Task.claimed_by))
        .where(Task.case_id == case_id, Task.status.in_(ACTIVE_TASK_STATUSES)).order_by(Task.id)
    ).all()
    events = []
    if with_events:
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)).all()
        names = _usernames(row.actor_id for row in rows)
        events = [event_view(row, names) for row in rows]
    return case_view(case, list(open_tasks), events)


def list_tasks(*, agency_code: str | None = None, username: str | None = None,
               statuses: tuple[str, ...] = ACTIVE_TASK_STATUSES, limit: int = 100) -> list[TaskView]:
    """List tasks of an agency and/or claimed by a user, soonest due first."""
    unknown = set(statuses) - set(TASK_STATUSES)
    if unknown:
        raise InvalidInputError(f"unknown task status {sorted(unknown)}; use {', '.join(TASK_STATUSES)}")
    query = (select(Task).options(joinedload(Task.candidate_agency), joinedload(Task.claimed_by))
             .where(Task.status.in_(statuses)))
    if agency_code:
        agency_id = db.session.scalar(select(Agency.id).where(Agency.code == agency_code))
        if agency_id is None:
            raise NotFoundError(f"agency {agency_code!r} does not exist")
        query = query.where(Task.candidate_agency_id == agency_id)
    if username:
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        if user_id is None:
            raise NotFoundError(f"user {username!r} does not exist")
        query = query.where(Task.claimed_by_id == user_id)
    query = query.order_by(Task.due_at.is_(None), Task.due_at, Task.id).limit(limit)
    return [task_view(row) for row in db.session.scalars(query)]


def list_processes() -> list[ProcessVersionView]:
    """List every deployed process version, newest version of each process first."""
    rows = db.session.scalars(
        select(ProcessVersion).order_by(ProcessVersion.process_id, ProcessVersion.version.desc())).all()
    names = _usernames(row.deployed_by_id for row in rows)
    return [version_view(row, names.get(row.deployed_by_id)) for row in rows]

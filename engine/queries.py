"""Read-only queries for inboxes, case pages and process lists. They never deserialize a workflow."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, literal_column, select
from sqlalchemy.orm import undefer

from engine import case_store
from engine.case_store import CASE, TASK, TASKS
from engine.db import db, utcnow
from engine.errors import InvalidInputError, NotFoundError
from engine.models import ACTIVE_TASK_STATUSES, TASK_STATUSES, Agency, AuditEvent, ProcessVersion, User
from engine.org import AGENCY, Actor
from engine.results import (
    CaseView,
    EventView,
    ProcessVersionView,
    TaskView,
    case_view,
    event_view,
    task_view,
    version_view,
)
from engine.specs import spec_for_version
from engine.visibility import can_see_case, require_visible_case, visible_cases


def _usernames(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


def case_events(case_id: int, *, actor: Actor | None = None) -> list[EventView]:
    """Return a case's audit events in order (its timeline)."""
    if actor is not None:
        require_visible_case(actor, case_id)
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)).all()
    names = _usernames(row.actor_id for row in rows)
    return [event_view(row, names) for row in rows]


def get_case(case_id: int, *, actor: Actor | None = None, with_events: bool = True) -> CaseView:
    """Return a case with its open tasks and, by default, its audit events in order.

    With an actor, a case they may not see does not exist (NotFoundError).
    """
    if actor is not None:
        require_visible_case(actor, case_id)
    case = case_store.load_case(case_id)
    events = case_events(case_id) if with_events else []
    return case_view(case, [task_view(row) for row in case_store.active_tasks(case_id)], events)


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    page_size: int


def _page(query, page: int, page_size: int, view) -> Page:
    total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = db.session.execute(query.limit(page_size).offset((page - 1) * page_size))
    return Page([view(row) for row in rows], total, page, page_size)


def list_cases(*, actor: Actor, process_id: str | None = None, status: str | None = None,
               agency_code: str | None = None, created_from: datetime | None = None,
               created_to: datetime | None = None, overdue: bool | None = None, page: int = 1,
               page_size: int = 20) -> Page:
    """List the cases the actor may see, newest first, with filters; one page of CaseSummary."""
    query = case_list_query(actor=actor, process_id=process_id, status=status, agency_code=agency_code,
                            created_from=created_from, created_to=created_to, overdue=overdue)
    return _page(query, page, page_size, lambda row: case_view(row, []))


def case_list_query(*, actor: Actor, process_id: str | None = None, status: str | None = None,
                    agency_code: str | None = None, created_from: datetime | None = None,
                    created_to: datetime | None = None, overdue: bool | None = None):
    """The query of list_cases, newest first, for a page or for an export."""
    query = case_store.CASES.where(visible_cases(actor))
    if process_id:
        query = query.where(CASE.c.process_id == process_id)
    if status:
        query = query.where(CASE.c.status == status)
    if created_from:
        query = query.where(CASE.c.created_at >= created_from)
    if created_to:
        query = query.where(CASE.c.created_at < created_to)
    if agency_code:
        agency_id = _id_of(Agency, Agency.code, agency_code, "agency")
        query = query.where(exists(select(TASK.c.id).where(TASK.c.case_id == CASE.c.id,
                                                            TASK.c.candidate_agency_id == agency_id)))
    if overdue is not None:
        late = exists(select(TASK.c.id).where(TASK.c.case_id == CASE.c.id, TASK.c.status.in_(ACTIVE_TASK_STATUSES),
                                              TASK.c.due_at < utcnow()))
        query = query.where(late if overdue else ~late)
    return query.order_by(CASE.c.created_at.desc(), CASE.c.id.desc())


INBOX_VIEWS = ("mine", "agency", "overdue")
# Soonest due first, tasks without a deadline last: the order of ix_task_active_agency_due's (due_at, id).
INBOX_ORDER = (TASK.c.due_at.asc().nulls_last(), TASK.c.id)
# Statuses spelled out, not bound: the planner must see that ix_task_active_agency_due (a partial index on
# active tasks) holds the rows even when it plans a prepared statement once for every parameter value.
_OPEN = TASK.c.status == literal_column("'open'")
_ACTIVE = TASK.c.status.in_([literal_column(f"'{status}'") for status in ACTIVE_TASK_STATUSES])


def _subtree_agency_ids(agency_id: int):
    """The ids of an agency and of every agency below it, down the parent links (ix_agency_parent_id)."""
    subtree = select(AGENCY.c.id).where(AGENCY.c.id == agency_id).cte("subtree", recursive=True)
    below = AGENCY.alias("below")
    subtree = subtree.union_all(select(below.c.id).where(below.c.parent_id == subtree.c.id))
    return select(subtree.c.id)


def _inbox_conditions(actor: Actor, view: str) -> list:
    """The view's conditions, on task columns alone, so an index of the task table answers them."""
    if view == "mine":
        return [TASK.c.claimed_by_id == actor.id, TASK.c.status == "claimed"]
    if view == "agency":
        return [TASK.c.candidate_agency_id == actor.agency_id, _OPEN]
    if view == "overdue":
        scope = (TASK.c.candidate_agency_id.in_(_subtree_agency_ids(actor.agency_id))
                 if actor.has_role("supervisor") else TASK.c.candidate_agency_id == actor.agency_id)
        return [scope, _ACTIVE, TASK.c.due_at < utcnow()]
    raise InvalidInputError(f"unknown inbox view {view!r}; use {', '.join(INBOX_VIEWS)}",
                            details={"view": [f"one of {', '.join(INBOX_VIEWS)}"]})


def inbox(*, actor: Actor, view: str, page: int = 1, page_size: int = 20, process_id: str | None = None,
          stage: str | None = None, category: str | None = None) -> Page:
    """One page of the actor's tasks: claimed by them, unclaimed at their agency, or overdue.

    Staff see their own agency's overdue tasks; supervisors those of every agency below theirs.
    `process_id`, `stage` and `category` keep only the tasks of that process, of that closed-loop stage,
    or of cases of that incident category.

    The count and the page's ids read the task table alone (for the agency and overdue views an index-only
    scan of ix_task_active_agency_due, agency by agency); only the page's rows are joined with their case,
    agency and claimant.
    """
    conditions = _inbox_conditions(actor, view)
    if stage:
        conditions.append(TASK.c.stage == stage)
    source = TASK
    if process_id or category:
        source = TASK.join(CASE, TASK.c.case_id == CASE.c.id)
        conditions += [CASE.c.process_id == process_id] if process_id else []
        conditions += [CASE.c.category == category] if category else []
    total = db.session.execute(select(func.count()).select_from(source).where(*conditions)).scalar_one()
    page_ids = (select(TASK.c.id).select_from(source).where(*conditions).order_by(*INBOX_ORDER)
                .limit(page_size).offset((page - 1) * page_size))
    rows = db.session.execute(TASKS.where(TASK.c.id.in_(page_ids)).order_by(*INBOX_ORDER))
    return Page([task_view(row) for row in rows], total, page, page_size)


def get_task(task_id: int, *, actor: Actor) -> TaskView:
    """Return a task the actor may see (NotFoundError otherwise)."""
    row = db.session.execute(TASKS.where(TASK.c.id == task_id)).first()
    if row is None or not can_see_case(actor, row.case_id):
        raise NotFoundError(f"task {task_id} does not exist")
    return task_view(row)


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


@dataclass(frozen=True)
class AgencyNode:
    code: str
    name: str
    level: str
    kind: str
    parent: str | None
    path: str
    cross_area: bool


def agency_tree() -> list[AgencyNode]:
    """Every agency, parents before children (ordered by path)."""
    parent = AGENCY.alias("parent")
    rows = db.session.execute(
        select(AGENCY.c.code, AGENCY.c.name, AGENCY.c.level, AGENCY.c.kind, parent.c.code.label("parent"),
               AGENCY.c.path, AGENCY.c.cross_area)
        .outerjoin(parent, AGENCY.c.parent_id == parent.c.id).order_by(AGENCY.c.path))
    return [AgencyNode(**row._mapping) for row in rows]


def version_bpmn(process_id: str, version: int) -> str:
    """Return the BPMN XML of the file that defines a process version (for a diagram viewer or modeler)."""
    row = db.session.execute(
        select(ProcessVersion.id, ProcessVersion.content_hash, ProcessVersion.sources)
        .where(ProcessVersion.process_id == process_id, ProcessVersion.version == version)).first()
    if row is None:
        raise NotFoundError(f"process {process_id!r} has no version {version}")
    parsed = spec_for_version(row.id, row.content_hash, process_id, lambda: row.sources)
    return row.sources[parsed.spec.file]

"""Reading and writing case and task rows inside a command, with optimistic version checks.

Commands run these prebuilt Core statements instead of ORM queries: they are the hot path of every
claim and completion, and the ORM's unit of work would cost more than the engine itself.
"""

from collections import namedtuple
from datetime import datetime

from sqlalchemy import Row, and_, bindparam, exists, insert, literal_column, select, update

from engine.errors import ConflictError, NotFoundError
from engine.models import ACTIVE_TASK_STATUSES, Agency, Case, NotificationChannel, ProcessVersion, Task, User
from engine.org import Actor
from engine.reference import STAMP, note_stamp
from engine.transaction import connection
from processes.reporting import FACT_FIELDS

CASE = Case.__table__
TASK = Task.__table__
VERSION = ProcessVersion.__table__
_AGENCY = Agency.__table__
_CHANNEL = NotificationChannel.__table__
_CLAIMANT = User.__table__.alias("claimant")
STALE_MESSAGE = "someone else changed this case or task at the same time; reload it and try again"

_CASE_COLUMNS = [column for column in CASE.c if column.name != "state"]
CASES = select(*_CASE_COLUMNS, VERSION.c.version.label("process_version"), VERSION.c.content_hash,
                VERSION.c.name.label("process_name")).join(VERSION, CASE.c.process_version_id == VERSION.c.id)
_CASE_BY_ID = CASES.where(CASE.c.id == bindparam("case_id"))
# FOR NO KEY UPDATE (key_share): rows inserted meanwhile that reference the case (audit events,
# supervision steps) take KEY SHARE locks, which this lock lets through instead of deadlocking with them.
_DUE_CASE = (_CASE_BY_ID.add_columns(STAMP)
             .where(CASE.c.status == "running", CASE.c.next_timer_at <= bindparam("now"))
             .with_for_update(skip_locked=True, key_share=True, of=CASE))
_CASE_STATE = select(CASE.c.state).where(CASE.c.id == bindparam("case_id"))
_VERSION_SOURCES = select(VERSION.c.sources).where(VERSION.c.id == bindparam("version_id"))

_TASK_COLUMNS = (TASK, _AGENCY.c.code.label("agency_code"), _AGENCY.c.name.label("agency_name"),
                 _AGENCY.c.path.label("agency_path"), _CLAIMANT.c.username.label("claimed_by"),
                 CASE.c.jurisdiction_path)
_TASK_FROM = (TASK.join(CASE, TASK.c.case_id == CASE.c.id)
              .outerjoin(_AGENCY, TASK.c.candidate_agency_id == _AGENCY.c.id)
              .outerjoin(_CLAIMANT, TASK.c.claimed_by_id == _CLAIMANT.c.id))
TASKS = select(*_TASK_COLUMNS).select_from(_TASK_FROM)
# A command on a task reads the task and the acting user (with their agency) in one statement, and whether
# its case has reached the agency that handles it (reporting.note_handling_started).
_ACTING, _ACTING_AGENCY = User.__table__.alias("acting"), _AGENCY.alias("acting_agency")
_TASK_AND_ACTOR = (
    select(*_TASK_COLUMNS, _ACTING.c.id.label("actor_id"), _ACTING.c.roles.label("actor_roles"),
           _ACTING.c.agency_id.label("actor_agency_id"), _ACTING_AGENCY.c.name.label("actor_agency_name"),
           _ACTING_AGENCY.c.path.label("actor_agency_path"), CASE.c.diverted_at.label("case_diverted_at"))
    .select_from(_TASK_FROM.outerjoin(_ACTING, and_(_ACTING.c.username == bindparam("username"),
                                                     _ACTING.c.active.is_(True)))
                 .outerjoin(_ACTING_AGENCY, _ACTING.c.agency_id == _ACTING_AGENCY.c.id))
    .where(TASK.c.id == bindparam("task_id"))
)
# What commands use of a case row (see load_case): its identity, version, status, place and process version.
CaseRecord = namedtuple("CaseRecord", [
    "id", "version", "status", "title", "process_id", "process_version_id", "process_version", "content_hash",
    "jurisdiction_path", "created_at", "completed_at", "diverted_at"])
# A command that runs the workflow also reads the task's case, with its process version, in that statement.
_TASK_ACTOR_AND_CASE = (
    _TASK_AND_ACTOR.add_columns(*(CASES.selected_columns[name].label(f"case__{name}") for name in CaseRecord._fields),
                                STAMP)
    .join_from(CASE, VERSION, CASE.c.process_version_id == VERSION.c.id)
)
# Where the case's fields sit in that statement's rows: read by position, they cost a slice.
_FIRST_CASE_COLUMN = [column.name for column in _TASK_ACTOR_AND_CASE.selected_columns].index("case__id")
_CASE_RECORD_COLUMNS = slice(_FIRST_CASE_COLUMN, _FIRST_CASE_COLUMN + len(CaseRecord._fields))
_ACTIVE_TASKS = TASKS.where(TASK.c.case_id == bindparam("case_id"),
                            TASK.c.status.in_(ACTIVE_TASK_STATUSES)).order_by(TASK.c.id)
_CASE_FIELDS = ("state", "next_timer_at", "status", "completed_at", "updated_at", *FACT_FIELDS)
_UPDATE_CASE = (
    update(CASE).where(CASE.c.id == bindparam("case_id"), CASE.c.version == bindparam("old_version"))
    .values(version=CASE.c.version + 1, **{name: bindparam(f"new_{name}") for name in _CASE_FIELDS})
)
_TASK_FIELDS = ("status", "claimed_by_id", "claimed_at", "completed_at", "completed_by_id", "candidate_agency_id")
_UPDATE_TASK = (
    update(TASK).where(TASK.c.id == bindparam("task_id"), TASK.c.version == bindparam("old_version"))
    .values(version=TASK.c.version + 1, **{name: bindparam(f"new_{name}") for name in _TASK_FIELDS})
)
# An approved extension: the new deadline is a moment a supervisor chose, so the declaration no longer
# applies (a calendar import must not recompute it) and a breach of the old deadline no longer counts.
_MOVE_TASK_DUE = (
    update(TASK).where(TASK.c.id == bindparam("task_id"), TASK.c.version == bindparam("old_version"))
    .values(version=TASK.c.version + 1, due_at=bindparam("new_due_at"), deadline=None, overdue_at=None)
)
_INSERT_CASE = insert(CASE).returning(CASE.c.id)
# Whether the new task's agency has an active notification channel comes back with the insert: the
# command announces the task only then, and asks nothing more when nobody listens. The subquery refers
# to the inserted row by the table's name, as RETURNING allows (SQLAlchemy does not correlate there).
_INSERTED_AGENCY = literal_column(f"{TASK.name}.{TASK.c.candidate_agency_id.name}")
_LISTENING = exists().where(_CHANNEL.c.agency_id == _INSERTED_AGENCY, _CHANNEL.c.active.is_(True))
_INSERT_TASKS = insert(TASK).returning(TASK.c.id, _LISTENING.label("listening"), sort_by_parameter_order=True)


def load_case(case_id: int, *, due_at=None) -> Row:
    """Return a case row (without its state) and its process version; with due_at, lock it if due."""
    if due_at is not None:
        row = connection().execute(_DUE_CASE, {"case_id": case_id, "now": due_at}).first()
        if row is not None:
            note_stamp(row.reference_stamp)
        return row
    row = connection().execute(_CASE_BY_ID, {"case_id": case_id}).first()
    if row is None:
        raise NotFoundError(f"case {case_id} does not exist")
    return row


def load_state(case_id: int) -> str:
    return connection().execute(_CASE_STATE, {"case_id": case_id}).scalar_one()


def load_sources(version_id: int) -> dict[str, str]:
    return connection().execute(_VERSION_SOURCES, {"version_id": version_id}).scalar_one()


def insert_case(values: dict) -> int:
    """Insert a case row at version 1; return its id."""
    return connection().execute(_INSERT_CASE, {**values, "version": 1}).scalar_one()


def update_case(case: Row, **values) -> int:
    """Save a case's state if nobody saved it since it was read; return its new version."""
    params = {f"new_{name}": values[name] for name in _CASE_FIELDS}
    result = connection().execute(_UPDATE_CASE, {**params, "case_id": case.id, "old_version": case.version})
    if result.rowcount != 1:
        raise ConflictError(STALE_MESSAGE)
    return case.version + 1


def load_task_and_actor(task_id: int, username: str) -> tuple[Row, Actor]:
    """Return a task row and the active user acting on it."""
    return _task_and_actor(_TASK_AND_ACTOR, task_id, username)


def load_task_actor_and_case(task_id: int, username: str) -> tuple[Row, Actor, CaseRecord]:
    """Return a task row, the active user acting on it, and its case (as load_case would); note the
    reference stamp read with them."""
    row, actor = _task_and_actor(_TASK_ACTOR_AND_CASE, task_id, username)
    note_stamp(row.reference_stamp)
    return row, actor, CaseRecord._make(row[_CASE_RECORD_COLUMNS])


def _task_and_actor(statement, task_id: int, username: str) -> tuple[Row, Actor]:
    row = connection().execute(statement, {"task_id": task_id, "username": username}).first()
    if row is None:
        raise NotFoundError(f"task {task_id} does not exist")
    if row.actor_id is None:
        raise NotFoundError(f"user {username!r} does not exist or is disabled")
    return row, Actor(row.actor_id, username, frozenset(row.actor_roles.split(",")), row.actor_agency_id,
                      row.actor_agency_name, row.actor_agency_path)


def active_tasks(case_id: int) -> list[Row]:
    return list(connection().execute(_ACTIVE_TASKS, {"case_id": case_id}))


def update_task(task: Row, **changes) -> None:
    """Save changes to a task's status, people and agency if nobody changed it since it was read."""
    params = {f"new_{name}": changes.get(name, getattr(task, name)) for name in _TASK_FIELDS}
    result = connection().execute(_UPDATE_TASK, {**params, "task_id": task.id, "old_version": task.version})
    if result.rowcount != 1:
        raise ConflictError(STALE_MESSAGE)


def move_task_due(task: Row, due_at: datetime) -> None:
    """Give a task a new due time and clear its breach if nobody changed it since it was read."""
    result = connection().execute(_MOVE_TASK_DUE, {"new_due_at": due_at, "task_id": task.id,
                                                   "old_version": task.version})
    if result.rowcount != 1:
        raise ConflictError(STALE_MESSAGE)


def insert_tasks(rows: list[dict]) -> list[tuple[int, bool]]:
    """Insert task rows; return each one's id and whether its agency listens for new tasks."""
    if not rows:
        return []
    return [(row.id, bool(row.listening))
            for row in connection().execute(_INSERT_TASKS, [{**row, "version": 1} for row in rows])]

"""Who may see which cases and tasks.

A case is visible to the agencies that have or had a task on it, to the agency of the user who started
it, and to supervisors above any of them; administrators see every case. A task is visible when its case
is. Whoever may not see a case is told it does not exist, so ids cannot be probed.
"""

from sqlalchemy import ColumnElement, Row, and_, bindparam, exists, false, func, or_, select

from engine.case_store import CASE, TASK
from engine.errors import NotFoundError, PermissionDeniedError
from engine.org import AGENCY, USER, Actor, can_act_on
from engine.transaction import connection

_SEEN_BY = TASK.alias("seen_by")
_SEEN_AGENCY = AGENCY.alias("seen_agency")
_STARTER = USER.alias("starter")
_STARTER_AGENCY = AGENCY.alias("starter_agency")


def _under(path_column, actor: Actor) -> ColumnElement[bool]:
    return func.substr(path_column, 1, len(actor.agency_path)) == actor.agency_path


def visible_cases(actor: Actor) -> ColumnElement[bool]:
    """A condition on case rows (CASE) that holds for the cases the actor may see."""
    if actor.has_role("admin"):
        return CASE.c.id.is_not(None)
    supervisor = actor.has_role("supervisor")
    by_task = exists(
        select(_SEEN_BY.c.id).join(_SEEN_AGENCY, _SEEN_BY.c.candidate_agency_id == _SEEN_AGENCY.c.id)
        .where(_SEEN_BY.c.case_id == CASE.c.id,
               or_(_SEEN_AGENCY.c.id == actor.agency_id, _under(_SEEN_AGENCY.c.path, actor) if supervisor else false()))
    )
    by_starter = exists(
        select(_STARTER.c.id).join(_STARTER_AGENCY, _STARTER.c.agency_id == _STARTER_AGENCY.c.id)
        .where(_STARTER.c.id == CASE.c.started_by_id,
               or_(_STARTER_AGENCY.c.id == actor.agency_id,
                   _under(_STARTER_AGENCY.c.path, actor) if supervisor else false()))
    )
    # A supervisor also sees the cases located in their area, even before any task reached them.
    by_area = _under(CASE.c.jurisdiction_path, actor) if supervisor else false()
    return or_(by_task, by_starter, by_area)


def can_see_case(actor: Actor, case_id: int) -> bool:
    query = select(CASE.c.id).where(and_(CASE.c.id == bindparam("case_id"), visible_cases(actor)))
    return connection().execute(query, {"case_id": case_id}).first() is not None


def require_visible_case(actor: Actor, case_id: int) -> None:
    if not can_see_case(actor, case_id):
        raise NotFoundError(f"case {case_id} does not exist")


def require_can_act(actor: Actor, task: Row) -> None:
    """Let the actor act on the task; else 404 if they may not even see it, 403 if they may."""
    if can_act_on(actor, task):
        return
    if not can_see_case(actor, task.case_id):
        raise NotFoundError(f"task {task.id} does not exist")
    raise PermissionDeniedError(
        f"user {actor.username!r} ({actor.agency_name}) may not act on task {task.id}: "
        f"it belongs to {task.agency_name or 'no agency'}")

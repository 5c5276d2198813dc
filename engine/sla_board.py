"""The supervisors' SLA board: overdue and due-soon work in their area, by agency and by tier, and the drill-down.

Counts read the task table through ix_task_agency_status_due (candidate agency, status, due time): the
supervisor's subtree is first resolved to its agency ids (a prefix match on the small agency table), then
each agency's active tasks falling due before the due-soon horizon are one index range. A task is
overdue when the monitor marked it (overdue_at) or its due time has passed (the monitor may not have run
yet); it is due soon when its due time is within `due_soon_hours`. The monitor only marks tasks whose
due_at passed, so every overdue task is also one with due_at before the horizon.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, bindparam, case, func, or_, select

from engine.calendar import calendar_status, platform_zone
from engine.case_store import CASE, TASK, TASKS
from engine.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from engine.models import ACTIVE_TASK_STATUSES
from engine.org import AGENCY, Actor
from engine.queries import Page
from engine.transaction import connection

# The three-tier diversion chain (city, district, street); communities and grids work at the street tier.
TIERS = {"city": ("city",), "district": ("district",), "street": ("street", "community", "grid")}
TIER_OF = {level: tier for tier, levels in TIERS.items() for level in levels}
BOARD_STATES = ("overdue", "due_soon")
ON_TIME_DAYS = 30

_SUBTREE = (select(AGENCY.c.id, AGENCY.c.code, AGENCY.c.name, AGENCY.c.level, AGENCY.c.path)
            .where(func.substr(AGENCY.c.path, 1, bindparam("path_length")) == bindparam("path"))
            .order_by(AGENCY.c.path))
_IN_AREA = TASK.c.candidate_agency_id.in_(bindparam("agency_ids", expanding=True))
_ACTIVE = TASK.c.status.in_(ACTIVE_TASK_STATUSES)
_IS_OVERDUE = or_(TASK.c.overdue_at.is_not(None), TASK.c.due_at < bindparam("now"))
_IS_DUE_SOON = and_(TASK.c.overdue_at.is_(None), TASK.c.due_at >= bindparam("now"))
_COUNTS = (
    select(TASK.c.candidate_agency_id, func.sum(case((_IS_OVERDUE, 1), else_=0)).label("overdue"),
           func.sum(case((_IS_DUE_SOON, 1), else_=0)).label("due_soon"))
    .where(_IN_AREA, _ACTIVE, TASK.c.due_at < bindparam("horizon"))
    .group_by(TASK.c.candidate_agency_id)
)
_LATE = TASK.c.completed_at > TASK.c.due_at
_CLOSED = (
    select(func.count().label("closed"), func.sum(case((_LATE, 1), else_=0)).label("late"))
    .where(_IN_AREA, TASK.c.status == "completed", TASK.c.due_at.is_not(None),
           TASK.c.completed_at >= bindparam("since"), TASK.c.completed_at <= bindparam("now"))
)


@dataclass(frozen=True)
class BoardCount:
    code: str  # an agency code, or a tier
    name: str
    tier: str
    overdue: int
    due_soon: int


@dataclass(frozen=True)
class OnTime:
    days: int
    closed: int  # tasks with a deadline completed in the last `days` days
    on_time: int
    late: int

    @property
    def rate(self) -> float | None:
        return self.on_time / self.closed if self.closed else None


@dataclass(frozen=True)
class SlaBoard:
    now: datetime
    due_soon_hours: int
    agency_name: str
    tiers: list[BoardCount]  # the tiers of the area, top down, zeros included
    agencies: list[BoardCount]  # the agencies with overdue or due-soon work, most overdue first
    overdue: int
    due_soon: int
    on_time: OnTime
    calendar_gaps: list[int]  # this year or next, when no official working-day schedule is loaded


@dataclass(frozen=True)
class BoardTask:
    id: int
    case_id: int
    case_title: str
    name: str
    agency_code: str | None
    agency_name: str | None
    tier: str | None
    status: str
    claimed_by: str | None
    due_at: datetime
    overdue_at: datetime | None
    state: str  # overdue or due_soon
    may_send_notice: bool  # the task is below the supervisor's own agency (engine.supervision_notices)


def _require_supervisor(actor: Actor) -> None:
    if not actor.has_role("supervisor"):
        raise PermissionDeniedError(f"user {actor.username!r} is not a supervisor: the SLA board is for the "
                                    "supervisors of an agency")


def _area(actor: Actor) -> list:
    return connection().execute(_SUBTREE, {"path": actor.agency_path,
                                            "path_length": len(actor.agency_path)}).all()


def calendar_gaps(today: date) -> list[int]:
    """This year and next, where they have no official working-day schedule loaded."""
    return [status.year for status in calendar_status(today=today)
            if not status.covered and status.year in (today.year, today.year + 1)]


def sla_board(*, actor: Actor, now: datetime, due_soon_hours: int = 24) -> SlaBoard:
    """The SLA board of a supervisor's area at `now`.

    Counts the active tasks of every agency in the supervisor's subtree that are overdue (marked by the
    monitor, or past their due time) or due within `due_soon_hours`, by agency and by tier (city,
    district, street: communities and grids count with their street); the on-time figures of the tasks
    completed in the last 30 days; and the calendar years (this one and next) without a working-day
    schedule. Raises PermissionDeniedError for anyone but a supervisor.
    """
    _require_supervisor(actor)
    agencies = _area(actor)
    ids = [agency.id for agency in agencies]
    conn = connection()
    counts = {row.candidate_agency_id: row for row in conn.execute(_COUNTS, {
        "agency_ids": ids, "now": now, "horizon": now + timedelta(hours=due_soon_hours)})}
    by_agency = [BoardCount(agency.code, agency.name, TIER_OF.get(agency.level, agency.level),
                            int(counts[agency.id].overdue or 0), int(counts[agency.id].due_soon or 0))
                 for agency in agencies if agency.id in counts]
    by_agency = [row for row in by_agency if row.overdue or row.due_soon]
    by_agency.sort(key=lambda row: (-row.overdue, -row.due_soon, row.code))
    present = {TIER_OF.get(agency.level) for agency in agencies}
    tiers = [BoardCount(tier, tier, tier, sum(row.overdue for row in by_agency if row.tier == tier),
                        sum(row.due_soon for row in by_agency if row.tier == tier))
             for tier in TIERS if tier in present]
    closed = conn.execute(_CLOSED, {"agency_ids": ids, "now": now,
                                    "since": now - timedelta(days=ON_TIME_DAYS)}).one()
    late = int(closed.late or 0)
    return SlaBoard(now=now, due_soon_hours=due_soon_hours, agency_name=actor.agency_name, tiers=tiers,
                    agencies=by_agency, overdue=sum(row.overdue for row in by_agency),
                    due_soon=sum(row.due_soon for row in by_agency),
                    on_time=OnTime(ON_TIME_DAYS, closed.closed, closed.closed - late, late),
                    calendar_gaps=calendar_gaps(now.astimezone(platform_zone()).date()))


def _invalid(field: str, message: str, problem: str) -> InvalidInputError:
    return InvalidInputError(message, details={field: [problem]})


def _filtered_area(actor: Actor, agency_code: str | None, tier: str | None) -> list:
    if tier is not None and tier not in TIERS:
        raise _invalid("tier", f"unknown tier {tier!r}; use {', '.join(TIERS)}", f"one of {', '.join(TIERS)}")
    agencies = _area(actor)
    if agency_code:
        agencies = [agency for agency in agencies if agency.code == agency_code]
        if not agencies:
            raise NotFoundError(f"agency {agency_code!r} does not exist in the area of {actor.agency_name}")
    if tier:
        agencies = [agency for agency in agencies if agency.level in TIERS[tier]]
    return agencies


def board_tasks(*, actor: Actor, now: datetime, state: str | None = None, agency_code: str | None = None,
                tier: str | None = None, due_soon_hours: int = 24, page: int = 1, page_size: int = 20) -> Page:
    """One page of the tasks behind the SLA board's counts, soonest due (longest overdue) first.

    `state` keeps the overdue or the due-soon ones (both by default); `agency_code` one agency of the
    area, `tier` one tier. Raises PermissionDeniedError for anyone but a supervisor, NotFoundError for
    an agency outside their area, InvalidInputError for an unknown state or tier.
    """
    _require_supervisor(actor)
    if state is not None and state not in BOARD_STATES:
        raise _invalid("state", f"unknown state {state!r}; use {', '.join(BOARD_STATES)}",
                       f"one of {', '.join(BOARD_STATES)}")
    agencies = _filtered_area(actor, agency_code, tier)
    levels = {agency.id: agency.level for agency in agencies}
    query = (TASKS.add_columns(CASE.c.title.label("case_title"))
             .where(_IN_AREA, _ACTIVE, TASK.c.due_at < bindparam("horizon")))
    if state == "overdue":
        query = query.where(_IS_OVERDUE)
    elif state == "due_soon":
        query = query.where(_IS_DUE_SOON)
    params = {"agency_ids": sorted(levels), "now": now, "horizon": now + timedelta(hours=due_soon_hours)}
    conn = connection()
    total = conn.execute(select(func.count()).select_from(query.subquery()), params).scalar_one()
    rows = conn.execute(query.order_by(TASK.c.due_at, TASK.c.id).limit(page_size).offset((page - 1) * page_size),
                        params)
    items = [BoardTask(
        id=row.id, case_id=row.case_id, case_title=row.case_title or "", name=row.name, agency_code=row.agency_code,
        agency_name=row.agency_name, tier=TIER_OF.get(levels.get(row.candidate_agency_id, "")),
        status=row.status, claimed_by=row.claimed_by, due_at=row.due_at, overdue_at=row.overdue_at,
        state="overdue" if row.overdue_at is not None or row.due_at < now else "due_soon",
        may_send_notice=row.candidate_agency_id != actor.agency_id) for row in rows]
    return Page(items, total, page, page_size)

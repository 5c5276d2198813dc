"""The supervision dashboard (数据看板): what its page shows, read in one call.

A thin composition over `engine.indicators`: the checked scope and period (a preset or custom dates), the
full indicator set, the trends the line chart draws, and the choices of the filter form (the agencies of
the actor's area, the deployed processes). The formulas stay in `engine/indicators/`.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from engine.case_store import VERSION
from engine.db import utcnow
from engine.indicators import Period, Scope, check_period, indicators, resolve_scope, trend
from engine.indicators.scope import add_months, local_day, month_of
from engine.org import AGENCY, Actor
from engine.transaction import connection

PRESETS = ("this_month", "last_month", "last_7_days", "custom")
# The line chart's series: cases created, incidents received, diverted matters closed.
TREND_SERIES = ("cases", "incidents", "closed")
# Up to a month is drawn by day; longer periods by (Monday-to-Sunday) week.
LONGEST_DAILY_TREND = 31


@dataclass(frozen=True)
class AgencyChoice:
    code: str
    name: str
    level: str
    depth: int  # below the top of the list, for indentation


@dataclass(frozen=True)
class ProcessChoice:
    id: str
    name: str


@dataclass(frozen=True)
class Dashboard:
    period: Period
    preset: str  # one of PRESETS
    granularity: str  # day or week
    scope: Scope
    area_name: str | None  # the scope's agency; None: the whole platform
    figures: dict  # engine.indicators.indicators()
    trends: dict[str, list[dict]]  # TREND_SERIES metric -> [{"start", "value"}]
    agencies: list[AgencyChoice]  # the agencies the actor may choose
    processes: list[ProcessChoice]


def preset_period(preset: str, today: date) -> Period:
    """The period a preset names, on the platform's local `today`."""
    if preset == "last_month":
        this_month = month_of(today)
        return Period(add_months(this_month.start, -1), this_month.start)
    if preset == "last_7_days":
        return Period(today - timedelta(days=6), today + timedelta(days=1))
    return month_of(today)


def _period(preset: str | None, start: date | None, end: date | None) -> tuple[Period, str]:
    if preset not in (None, "custom"):
        return preset_period(preset, local_day(utcnow())), preset
    if start is None:
        if end is not None:
            return check_period(add_months(end, -1), end), "custom"
        return preset_period("this_month", local_day(utcnow())), "this_month"
    return check_period(start, end or add_months(start, 1)), "custom"


def _agencies(actor: Actor) -> list[AgencyChoice]:
    query = select(AGENCY.c.code, AGENCY.c.name, AGENCY.c.level, AGENCY.c.path).order_by(AGENCY.c.path)
    if not actor.has_role("admin"):
        top = actor.agency_path
        query = query.where(func.substr(AGENCY.c.path, 1, len(top)) == top)
    rows = connection().execute(query).all()
    shallowest = min((row.path.count("/") for row in rows), default=0)
    return [AgencyChoice(row.code, row.name, row.level, row.path.count("/") - shallowest) for row in rows]


def _processes() -> list[ProcessChoice]:
    newest = (select(VERSION.c.process_id, func.max(VERSION.c.version).label("version"))
              .group_by(VERSION.c.process_id).subquery())
    rows = connection().execute(
        select(VERSION.c.process_id, VERSION.c.name)
        .join(newest, (VERSION.c.process_id == newest.c.process_id) & (VERSION.c.version == newest.c.version))
        .order_by(VERSION.c.process_id))
    return [ProcessChoice(row.process_id, row.name) for row in rows]


def dashboard(*, actor: Actor, preset: str | None = None, start: date | None = None, end: date | None = None,
              agency_code: str | None = None, tier: str | None = None, process_id: str | None = None,
              category: str | None = None, granularity: str | None = None) -> Dashboard:
    """The dashboard of a supervisor's area (an administrator's: any) for a preset or a custom period.

    Raises PermissionDeniedError for anyone else or an agency outside the area, and InvalidInputError for
    unknown filters or an empty or too long period, as `resolve_scope` and `check_period` do.
    """
    scope = resolve_scope(actor=actor, agency_code=agency_code, tier=tier, process_id=process_id,
                          category=category)
    period, preset = _period(preset, start, end)
    granularity = granularity or ("day" if period.days <= LONGEST_DAILY_TREND else "week")
    agencies = _agencies(actor)
    area_name = next((choice.name for choice in agencies if choice.code == scope.agency_code), None)
    if area_name is None and scope.agency_code is not None:
        area_name = connection().execute(select(AGENCY.c.name).where(AGENCY.c.code == scope.agency_code)).scalar()
    return Dashboard(
        period=period, preset=preset, granularity=granularity, scope=scope, area_name=area_name,
        figures=indicators(scope=scope, period=period),
        trends={metric: trend(scope=scope, period=period, metric=metric, granularity=granularity)["points"]
                for metric in TREND_SERIES},
        agencies=agencies, processes=_processes())

"""What an indicator query covers: a period in the platform's time zone, and filters on agency, tier,
process and category; who may ask for which agency's area."""

import calendar as month_calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, exists, func, literal, select

from engine.calendar import platform_zone
from engine.case_store import CASE, TASK, VERSION
from engine.db import UTCDateTime
from engine.errors import InvalidInputError, PermissionDeniedError
from engine.models import AGENCY_LEVELS
from engine.org import AGENCY, Actor
from engine.transaction import connection
from processes.stages import LOOP_STEP_OF

# The stages whose claim means the matter reached the agency that handles it.
HANDLING_STAGES = ("handling", *(stage for stage, step in LOOP_STEP_OF.items() if step == "handling"))
LONGEST_PERIOD_DAYS = 400


def utc_at(day: date) -> datetime:
    """Local midnight at the start of `day`, in UTC."""
    return datetime.combine(day, time(), tzinfo=platform_zone()).astimezone(UTC)


def local_day(moment: datetime) -> date:
    return moment.astimezone(platform_zone()).date()


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Period:
    """Local dates [start, end)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def bounds(self) -> tuple[datetime, datetime]:
        return utc_at(self.start), utc_at(self.end)

    def _whole_months(self) -> int | None:
        if self.start.day != 1 or self.end.day != 1:
            return None
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month

    def previous(self) -> "Period":
        """The period just before, as long: whole calendar months before whole months, else as many days."""
        months = self._whole_months()
        if months:
            return Period(add_months(self.start, -months), self.start)
        return Period(self.start - timedelta(days=self.days), self.start)

    def year_ago(self) -> "Period":
        """The same dates a year earlier (29 February becomes the 28th)."""
        return Period(add_months(self.start, -12), add_months(self.end, -12))

    def as_dict(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def check_period(start: date, end: date) -> Period:
    if end <= start:
        raise InvalidInputError("the period is empty: `to` must be after `from` (it is exclusive)",
                                details={"to": ["must be after from"]})
    if (end - start).days > LONGEST_PERIOD_DAYS:
        raise InvalidInputError(f"the period is longer than {LONGEST_PERIOD_DAYS} days; ask for a shorter one",
                                details={"to": [f"at most {LONGEST_PERIOD_DAYS} days after from"]})
    return Period(start, end)


def month_of(day: date) -> Period:
    first = day.replace(day=1)
    return Period(first, add_months(first, 1))


@dataclass(frozen=True)
class Scope:
    """Which cases, tasks and incidents count: those of an agency's area, tier, process and category."""

    agency_code: str | None = None
    agency_path: str | None = None  # None: the whole platform
    tier: str | None = None  # an agency level: tasks at agencies of that level, cases handled at one
    process_id: str | None = None
    category: str | None = None

    def as_dict(self) -> dict:
        return {"agency": self.agency_code, "tier": self.tier, "process": self.process_id,
                "category": self.category}

    @property
    def filters_cases(self) -> bool:
        return bool(self.agency_path or self.process_id or self.category or self.tier)

    def case_conditions(self) -> list[ColumnElement[bool]]:
        """Conditions on case rows (CASE)."""
        found = []
        if self.agency_path:
            found.append(under(CASE.c.jurisdiction_path, self.agency_path))
        if self.process_id:
            found.append(CASE.c.process_id == self.process_id)
        if self.category:
            found.append(CASE.c.category == self.category)
        if self.tier:
            found.append(handled_at_tier(self.tier))
        return found


def under(path_column, prefix: str) -> ColumnElement[bool]:
    return func.substr(path_column, 1, len(prefix)) == prefix


_HANDLER = TASK.alias("handler")
_HANDLER_AGENCY = AGENCY.alias("handler_agency")


def handled_at_tier(tier: str) -> ColumnElement[bool]:
    """A case one of whose handling steps was at an agency of this level."""
    return exists(select(_HANDLER.c.id).join(_HANDLER_AGENCY, _HANDLER.c.candidate_agency_id == _HANDLER_AGENCY.c.id)
                  .where(_HANDLER.c.case_id == CASE.c.id, _HANDLER.c.stage.in_(HANDLING_STAGES),
                         _HANDLER_AGENCY.c.level == tier))


def at(moment: datetime):
    """A timestamp as a bound value of the columns' own type (SQLite keeps naive UTC text)."""
    return literal(moment, UTCDateTime())


def resolve_scope(*, actor: Actor | None, agency_code: str | None = None, tier: str | None = None,
                  process_id: str | None = None, category: str | None = None) -> Scope:
    """Check the filters and the actor's right to them; return the scope.

    A supervisor sees their own agency's area (the default) or any agency in it; an administrator, or no
    actor (the CLI, the report generator), anything. Everyone else is refused: the indicators are the
    supervisors' instrument.
    """
    errors: dict[str, list[str]] = {}
    if tier is not None and tier not in AGENCY_LEVELS:
        errors["tier"] = [f"one of {', '.join(AGENCY_LEVELS)}"]
    if process_id is not None and connection().execute(
            select(VERSION.c.id).where(VERSION.c.process_id == process_id).limit(1)).first() is None:
        errors["process"] = [f"process {process_id!r} is not deployed"]
    agency = None
    if agency_code is not None:
        agency = connection().execute(select(AGENCY.c.code, AGENCY.c.path).where(AGENCY.c.code == agency_code)).first()
        if agency is None:
            errors["agency"] = [f"no agency has the code {agency_code!r}"]
    if errors:
        raise InvalidInputError("the indicator filters are not valid: " + "; ".join(
            f"{field}: {messages[0]}" for field, messages in errors.items()), details=errors)
    if actor is not None and not actor.has_role("admin"):
        if not actor.has_role("supervisor"):
            raise PermissionDeniedError("the indicators and periodic reports are for supervisors (督办) and "
                                        "administrators; ask your agency's supervisor")
        if agency is None:
            agency = connection().execute(select(AGENCY.c.code, AGENCY.c.path)
                                          .where(AGENCY.c.id == actor.agency_id)).one()
        elif not agency.path.startswith(actor.agency_path):
            raise PermissionDeniedError(f"agency {agency.code!r} is outside the area of {actor.agency_name}; "
                                        "ask for your own agency or one below it")
    return Scope(agency.code if agency else None, agency.path if agency else None, tier, process_id, category)



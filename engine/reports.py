"""Periodic reports (定期通报): each supervised agency's indicators for the last week and the last month.

`generate_due_reports(now=)` is what the scheduler runs every tick: it writes the reports that are due and
not yet written, each in its own transaction with a notice (kind "report") to the agency's supervisors.
A report is unique by (agency, kind, period start), so several workers generate each one once.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, true

from engine.db import insert_skipping_taken
from engine.errors import NotFoundError, PermissionDeniedError
from engine.indicators import Period, Scope, indicators
from engine.indicators.scope import local_day, month_of, under
from engine.models import Report
from engine.notices import Recipient, send_notices
from engine.org import AGENCY, USER, Actor
from engine.queries import Page
from engine.transaction import connection, transaction

REPORT = Report.__table__
KIND_NAMES = {"weekly": "周报", "monthly": "月报"}

_SUPERVISED = (select(AGENCY.c.id, AGENCY.c.code, AGENCY.c.name, AGENCY.c.path)
               .where(AGENCY.c.id.in_(select(USER.c.agency_id).where(USER.c.active.is_(True),
                                                                      USER.c.roles.like("%supervisor%"))))
               .order_by(AGENCY.c.path))


@dataclass(frozen=True)
class DuePeriod:
    kind: str
    period: Period


def due_periods(now: datetime) -> list[DuePeriod]:
    """The last complete week (Monday to Sunday) and the last complete month before `now`, local time."""
    today = local_day(now)
    monday = today - timedelta(days=today.weekday())
    this_month = month_of(today)
    return [DuePeriod("weekly", Period(monday - timedelta(days=7), monday)),
            DuePeriod("monthly", this_month.previous())]


def _message(agency_name: str, kind: str, period: Period, figures: dict) -> str:
    last_day = period.end - timedelta(days=1)

    def value(group: str, name: str, unit: str = "") -> str:
        found = figures[group][name]["value"]
        return "—" if found is None else f"{found:g}{unit}"

    return (f"【定期通报】{agency_name}{KIND_NAMES[kind]}（{period.start:%Y-%m-%d} 至 {last_day:%Y-%m-%d}）："
            f"警情 {value('incidents', 'total')} 起，非警务类占 {value('incidents', 'non_police_share', '%')}；"
            f"受理 {value('handling', 'taken_in')} 件，办结率 {value('handling', 'closure_rate', '%')}，"
            f"满意率 {value('return_visits', 'satisfaction_rate', '%')}，超时 {value('sla', 'overdue')} 项。")


def generate_report(*, agency, kind: str, period: Period, now: datetime) -> int | None:
    """Write one agency's report and notify its supervisors; None if it was written before."""
    with transaction() as unit:
        figures = indicators(scope=Scope(agency.code, agency.path), period=period)
        report_id = unit.conn.execute(
            insert_skipping_taken(unit.conn, REPORT, keys=["agency_id", "kind", "period_start"])
            .returning(REPORT.c.id),
            {"kind": kind, "period_start": period.start, "period_end": period.end, "agency_id": agency.id,
             "generated_at": now, "figures": figures}).scalar()
        if report_id is None:
            return None
        send_notices([{"kind": "report", "key": f"report:{report_id}", "recipient": Recipient(agency.id, None),
                       "message": _message(agency.name, kind, period, figures)}], at=now)
        return report_id


def generate_due_reports(*, now: datetime) -> int:
    """Write the weekly and monthly reports due at `now` that are missing; return how many were written."""
    written = 0
    for due in due_periods(now):
        have = select(REPORT.c.agency_id).where(REPORT.c.kind == due.kind, REPORT.c.period_start == due.period.start)
        missing = connection().execute(_SUPERVISED.where(AGENCY.c.id.not_in(have))).all()
        for agency in missing:
            written += generate_report(agency=agency, kind=due.kind, period=due.period, now=now) is not None
    return written


_LISTED = (select(REPORT.c.id, REPORT.c.kind, REPORT.c.period_start, REPORT.c.period_end, REPORT.c.generated_at,
                  AGENCY.c.code.label("agency"), AGENCY.c.name.label("agency_name"), AGENCY.c.path)
           .join(AGENCY, REPORT.c.agency_id == AGENCY.c.id))


def _visible(actor: Actor | None):
    if actor is None or actor.has_role("admin"):
        return true()
    if not actor.has_role("supervisor"):
        raise PermissionDeniedError("periodic reports are for supervisors and administrators; ask your agency's "
                                    "supervisor")
    return under(AGENCY.c.path, actor.agency_path)


def _listed(row) -> dict:
    return {key: value for key, value in row._mapping.items() if key != "path"}


def list_reports(*, actor: Actor | None, kind: str | None = None, agency_code: str | None = None, page: int = 1,
                 page_size: int = 20) -> Page:
    """The reports of the actor's area (everything for an administrator), newest period first."""
    query = _LISTED.where(_visible(actor))
    if kind:
        query = query.where(REPORT.c.kind == kind)
    if agency_code:
        query = query.where(AGENCY.c.code == agency_code)
    total = connection().execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = connection().execute(query.order_by(REPORT.c.period_start.desc(), REPORT.c.kind, AGENCY.c.path)
                                .limit(page_size).offset((page - 1) * page_size))
    return Page([_listed(row) for row in rows], total, page, page_size)


def get_report(report_id: int, *, actor: Actor | None) -> dict:
    """One report with its figures; a report outside the actor's area does not exist for them."""
    row = connection().execute(_LISTED.add_columns(REPORT.c.figures)
                               .where(REPORT.c.id == report_id, _visible(actor))).first()
    if row is None:
        raise NotFoundError(f"report {report_id} does not exist")
    return _listed(row)


def period_label(kind: str, start: date, end: date) -> str:
    return f"{KIND_NAMES.get(kind, kind)} {start:%Y-%m-%d} 至 {end - timedelta(days=1):%Y-%m-%d}"

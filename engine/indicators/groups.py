"""The indicator groups, each computed from Facts over two buckets: the previous period (0) and this one (1).

Every figure is {"value", "previous", "change", "change_pct"}: change is value - previous (percentage points
for rates), change_pct the change relative to the previous value. The formulas are in docs/indicators.md.
"""

from dataclasses import dataclass

from sqlalchemy import select

from engine.indicators.facts import Facts
from engine.org import AGENCY
from engine.transaction import connection
from processes.disputes import FUNNEL_LEVELS

PREVIOUS, CURRENT = 0, 1


def rate(part: float, whole: float) -> float | None:
    """part / whole in percent, or None for an empty whole."""
    return round(100.0 * part / whole, 2) if whole else None


def mean(total: float, count: int, unit_seconds: float) -> float | None:
    return round(float(total) / count / unit_seconds, 2) if count else None


def figure(value, previous) -> dict:
    both = value is not None and previous is not None
    return {"value": value, "previous": previous,
            "change": round(value - previous, 2) if both else None,
            "change_pct": round(100.0 * (value - previous) / previous, 1) if both and previous else None}


def _figure(facts_by_bucket: list, compute) -> dict:
    return figure(compute(facts_by_bucket[CURRENT]), compute(facts_by_bucket[PREVIOUS]))


def _total(by_agency: dict, key: str, agencies: set | None = None) -> int:
    return sum(row.get(key, 0) for agency, row in by_agency.items() if agencies is None or agency in agencies)


@dataclass(frozen=True)
class AgencyInfo:
    code: str
    name: str
    level: str


def agency_infos() -> dict[int, AgencyInfo]:
    rows = connection().execute(select(AGENCY.c.id, AGENCY.c.code, AGENCY.c.name, AGENCY.c.level))
    return {row.id: AgencyInfo(row.code, row.name, row.level) for row in rows}


class TaskFacts:
    """Task counts by bucket, summed over the agencies of the scope's tier (all agencies without one)."""

    def __init__(self, facts: Facts, agencies: dict[int, AgencyInfo]):
        tier = facts.scope.tier
        self.facts, self.agencies = facts, agencies
        self.keep = None if tier is None else {i for i, info in agencies.items() if info.level == tier}

    def total(self, source: str, key: str) -> list[int]:
        return [_total(by_agency, key, self.keep) for by_agency in getattr(self.facts, source)]


def incidents(facts: Facts) -> dict:
    rows = facts.incidents
    return {
        "total": _figure(rows, lambda r: r["incidents"]),
        "non_police": _figure(rows, lambda r: r["non_police"]),
        "non_police_share": _figure(rows, lambda r: rate(r["non_police"], r["incidents"])),
    }


def handling(facts: Facts) -> dict:
    intake, closures, medians = facts.intake, facts.closures, facts.handling_medians
    return {
        "cases": _figure(intake, lambda r: r["cases"]),
        "taken_in": _figure(intake, lambda r: r["taken_in"]),
        "closed_by_period_end": _figure(intake, lambda r: r["closed_by_end"]),
        "closure_rate": _figure(intake, lambda r: rate(r["closed_by_end"], r["taken_in"])),
        "closed": _figure(closures, lambda r: r["closed"]),
        "on_time_closure_rate": _figure(closures, lambda r: rate(r["on_time"], r["closed"])),
        "handling_hours_avg": _figure(closures, lambda r: mean(r["handling_seconds"], r["closed"], 3600)),
        "handling_hours_median": figure(*(round(m / 3600, 2) if m is not None else None
                                          for m in (medians[CURRENT], medians[PREVIOUS]))),
        "divert_minutes_avg": _figure(intake, lambda r: mean(r["divert_seconds"], r["diverted"], 60)),
    }


def return_visits(facts: Facts, tasks: TaskFacts) -> dict:
    visits, satisfied = tasks.total("tasks", "visits"), tasks.total("tasks", "satisfied")
    closed, returned = tasks.total("tasks", "closed"), tasks.total("tasks", "returned")
    closures = facts.closures
    return {
        "visits": figure(visits[CURRENT], visits[PREVIOUS]),
        "satisfied": figure(satisfied[CURRENT], satisfied[PREVIOUS]),
        "satisfaction_rate": figure(rate(satisfied[CURRENT], visits[CURRENT]),
                                    rate(satisfied[PREVIOUS], visits[PREVIOUS])),
        "tasks_closed": figure(closed[CURRENT], closed[PREVIOUS]),
        "returned": figure(returned[CURRENT], returned[PREVIOUS]),
        "return_rate": figure(rate(returned[CURRENT], closed[CURRENT]), rate(returned[PREVIOUS], closed[PREVIOUS])),
        "reopened": _figure(closures, lambda r: r["reopened"]),
        "redo_rate": _figure(closures, lambda r: rate(r["reopened"], r["closed"])),
    }


def disputes(facts: Facts) -> dict:
    intake = facts.intake
    agreed = ("community", "street", "joint")
    return {
        "entered": _figure(intake, lambda r: r["disputes"]),
        "closed": _figure(intake, lambda r: r["disputes_closed"]),
        "open": _figure(intake, lambda r: r["disputes"] - r["disputes_closed"]),
        "resolved_at": {level: _figure(intake, lambda r, level=level: r[f"level_{level}"]) for level in FUNNEL_LEVELS},
        "judicially_confirmed": _figure(intake, lambda r: r["confirmed"]),
        "mediation_success_rate": _figure(
            intake, lambda r: rate(sum(r[f"level_{level}"] for level in agreed), r["disputes_closed"])),
        "resolved_without_court_share": _figure(intake, lambda r: rate(r["without_court"], r["disputes_closed"])),
    }


def _on_time_rows(rows: dict[int | None, dict], keys, label) -> list[dict]:
    found = []
    for key in keys:
        row = rows.get(key, {})
        found.append({**label(key), "with_deadline": row.get("with_deadline", 0), "on_time": row.get("on_time", 0),
                      "on_time_rate": rate(row.get("on_time", 0), row.get("with_deadline", 0)),
                      "overdue": row.get("overdue", 0), "supervision_notices": row.get("notices", 0)})
    return found


def sla(facts: Facts, tasks: TaskFacts) -> dict:
    with_deadline, on_time = tasks.total("tasks", "with_deadline"), tasks.total("tasks", "on_time")
    overdue, notices = tasks.total("breaches", "overdue"), tasks.total("supervision", "notices")
    by_agency: dict[int | None, dict] = {}
    for source in ("tasks", "breaches", "supervision"):
        for agency, row in getattr(facts, source)[CURRENT].items():
            if tasks.keep is None or agency in tasks.keep:
                by_agency.setdefault(agency, {}).update(row)
    infos = tasks.agencies
    by_tier: dict[str, dict] = {}
    for agency, row in by_agency.items():
        tier = infos[agency].level if agency in infos else "none"
        merged = by_tier.setdefault(tier, {})
        for key, value in row.items():
            merged[key] = merged.get(key, 0) + value
    agencies = sorted(by_agency, key=lambda a: (infos[a].code if a in infos else ""))
    return {
        "tasks_with_deadline": figure(with_deadline[CURRENT], with_deadline[PREVIOUS]),
        "on_time": figure(on_time[CURRENT], on_time[PREVIOUS]),
        "on_time_rate": figure(rate(on_time[CURRENT], with_deadline[CURRENT]),
                               rate(on_time[PREVIOUS], with_deadline[PREVIOUS])),
        "overdue": figure(overdue[CURRENT], overdue[PREVIOUS]),
        "supervision_notices": figure(notices[CURRENT], notices[PREVIOUS]),
        "by_agency": _on_time_rows(by_agency, agencies, lambda a: {
            "agency": infos[a].code if a in infos else None, "name": infos[a].name if a in infos else None,
            "tier": infos[a].level if a in infos else None}),
        "by_tier": _on_time_rows(by_tier, sorted(by_tier), lambda tier: {"tier": tier}),
    }


def year_on_year(facts: Facts, year_ago: Facts) -> dict:
    return {
        "cases": figure(facts.intake[CURRENT]["cases"], year_ago.intake[0]["cases"]),
        "incidents": figure(facts.incidents[CURRENT]["incidents"], year_ago.incidents[0]["incidents"]),
    }

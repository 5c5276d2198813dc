"""Supervision indicators (督办统计): SQL over the case, task, supervision and incident tables.

`indicators(scope=, period=)` computes the full set for a period and compares it with the period before
and with the same period a year earlier; `trend(...)` gives one indicator per day or week, for charts.
`resolve_scope(actor=, ...)` checks the filters and who may ask. The formulas: docs/indicators.md.
"""

from datetime import date, timedelta

from engine.db import utcnow
from engine.errors import InvalidInputError
from engine.indicators import groups
from engine.indicators.facts import Facts
from engine.indicators.scope import Period, Scope, check_period, local_day, month_of, resolve_scope, utc_at

__all__ = ["GRANULARITIES", "TREND_METRICS", "Period", "Scope", "check_period", "default_period", "indicators",
           "resolve_scope", "trend"]


def default_period() -> Period:
    """This month so far: from its first day to its last (exclusive of the next month's first)."""
    return month_of(local_day(utcnow()))


def indicators(*, scope: Scope, period: Period) -> dict:
    """The full indicator set of a scope for a period, each with the previous period's value and the change."""
    previous, year_ago = period.previous(), period.year_ago()
    facts = Facts(scope, [utc_at(previous.start), utc_at(period.start), utc_at(period.end)])
    last_year = Facts(scope, list(year_ago.bounds()))
    tasks = groups.TaskFacts(facts, groups.agency_infos())
    return {
        "period": period.as_dict(), "previous_period": previous.as_dict(), "year_ago_period": year_ago.as_dict(),
        "filters": scope.as_dict(),
        "incidents": groups.incidents(facts),
        "handling": groups.handling(facts),
        "return_visits": groups.return_visits(facts, tasks),
        "disputes": groups.disputes(facts),
        "sla": groups.sla(facts, tasks),
        "year_on_year": groups.year_on_year(facts, last_year),
    }


def _tasks(key: str, source: str = "tasks"):
    def compute(facts: Facts, tasks: groups.TaskFacts, index: int):
        return tasks.total(source, key)[index]
    return compute


def _task_rate(part: str, whole: str):
    def compute(facts: Facts, tasks: groups.TaskFacts, index: int):
        return groups.rate(tasks.total("tasks", part)[index], tasks.total("tasks", whole)[index])
    return compute


def _row(source: str, value):
    return lambda facts, tasks, index: value(getattr(facts, source)[index])


TREND_METRICS = {
    "incidents": _row("incidents", lambda r: r["incidents"]),
    "non_police_share": _row("incidents", lambda r: groups.rate(r["non_police"], r["incidents"])),
    "cases": _row("intake", lambda r: r["cases"]),
    "closure_rate": _row("intake", lambda r: groups.rate(r["closed_by_end"], r["taken_in"])),
    "divert_minutes_avg": _row("intake", lambda r: groups.mean(r["divert_seconds"], r["diverted"], 60)),
    "disputes": _row("intake", lambda r: r["disputes"]),
    "closed": _row("closures", lambda r: r["closed"]),
    "on_time_closure_rate": _row("closures", lambda r: groups.rate(r["on_time"], r["closed"])),
    "handling_hours_avg": _row("closures", lambda r: groups.mean(r["handling_seconds"], r["closed"], 3600)),
    "redo_rate": _row("closures", lambda r: groups.rate(r["reopened"], r["closed"])),
    "satisfaction_rate": _task_rate("satisfied", "visits"),
    "return_rate": _task_rate("returned", "closed"),
    "on_time_rate": _task_rate("on_time", "with_deadline"),
    "overdue": _tasks("overdue", "breaches"),
    "supervision_notices": _tasks("notices", "supervision"),
}
GRANULARITIES = ("day", "week")
MAX_TREND_POINTS = 400


def _starts(period: Period, granularity: str) -> list[date]:
    if granularity == "day":
        return [period.start + timedelta(days=i) for i in range(period.days)]
    # Weeks run Monday to Sunday; the first and the last may be cut by the period.
    first_monday = period.start + timedelta(days=-period.start.weekday() % 7)
    mondays = [first_monday + timedelta(weeks=i) for i in range((period.end - first_monday).days // 7 + 1)]
    return [period.start, *(day for day in mondays if period.start < day < period.end)]


def trend(*, scope: Scope, period: Period, metric: str, granularity: str = "day") -> dict:
    """One indicator per day or per (Monday-to-Sunday) week of the period: the points of a chart."""
    errors = {}
    if metric not in TREND_METRICS:
        errors["metric"] = [f"one of {', '.join(TREND_METRICS)}"]
    if granularity not in GRANULARITIES:
        errors["granularity"] = [f"one of {', '.join(GRANULARITIES)}"]
    if errors:
        raise InvalidInputError("the trend request is not valid: " + "; ".join(
            f"{field}: {messages[0]}" for field, messages in errors.items()), details=errors)
    starts = _starts(period, granularity)
    facts = Facts(scope, [utc_at(day) for day in [*starts, period.end]])
    tasks = groups.TaskFacts(facts, groups.agency_infos())
    compute = TREND_METRICS[metric]
    return {"metric": metric, "granularity": granularity, "period": period.as_dict(), "filters": scope.as_dict(),
            "points": [{"start": start.isoformat(), "value": compute(facts, tasks, index)}
                       for index, start in enumerate(starts)]}

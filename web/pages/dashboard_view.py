"""What the dashboard page draws from the indicators: KPI tiles in words, and the charts' data and labels."""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.dashboard import Dashboard

LEVEL_LABELS = {"city": _l("City"), "district": _l("District"), "street": _l("Street"),
                "community": _l("Community"), "grid": _l("Grid")}
PRESET_LABELS = {"this_month": _l("This month"), "last_month": _l("Last month"),
                 "last_7_days": _l("Last 7 days"), "custom": _l("Custom dates")}
RANKINGS = ("on_time_rate", "overdue")
RANKING_LABELS = {"on_time_rate": _l("On-time rate by agency"), "overdue": _l("Overdue tasks by agency")}
CHART_LIMIT = 15  # bars in the ranking chart; its table lists every agency
ARROWS = {"up": "▲", "down": "▼", "same": "→", "none": "–"}


@dataclass(frozen=True)
class TileSpec:
    key: str
    label: object  # a lazy string
    path: tuple[str, str]  # group and figure in the indicator set
    unit: str  # percent, hours, minutes or count
    better: str | None  # the direction that is good news: up, down or None
    year_on_year: bool = False


TILES = (
    TileSpec("diverted-share", _l("Diverted share of incidents"), ("incidents", "non_police_share"), "percent", None),
    TileSpec("closure-rate", _l("Closure rate"), ("handling", "closure_rate"), "percent", "up"),
    TileSpec("on-time-rate", _l("On-time rate"), ("sla", "on_time_rate"), "percent", "up"),
    TileSpec("satisfaction-rate", _l("Satisfaction rate"), ("return_visits", "satisfaction_rate"), "percent", "up"),
    TileSpec("handling-time", _l("Average handling time"), ("handling", "handling_hours_avg"), "hours", "down"),
    TileSpec("divert-time", _l("Time to divert"), ("handling", "divert_minutes_avg"), "minutes", "down"),
    TileSpec("overdue", _l("Overdue tasks"), ("sla", "overdue"), "count", "down"),
    TileSpec("notices", _l("Supervision notices sent"), ("sla", "supervision_notices"), "count", None),
    TileSpec("incidents-yoy", _l("Incidents, year on year"), ("year_on_year", "incidents"), "count", "down", True),
    TileSpec("cases-yoy", _l("Cases, year on year"), ("year_on_year", "cases"), "count", None, True),
)


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: str
    previous: str
    direction: str  # up, down, same or none (nothing to compare)
    arrow: str
    change: str  # the change in words
    tone: str  # good, bad or neutral


def decimal(value: float) -> str:
    """At most one decimal, none when it is zero: 66.67 -> 66.7, 98.0 -> 98."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def amount(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "percent":
        return f"{decimal(value)}%"
    if unit == "hours":
        return _("%(hours)s h", hours=decimal(value))
    if unit == "minutes":
        return _("%(minutes)s min", minutes=decimal(value))
    return f"{value:g}"


def _change_words(spec: TileSpec, figure: dict, direction: str) -> str:
    if direction == "none":
        return _("no figure a year ago to compare") if spec.year_on_year else _("no figure to compare with")
    if direction == "same":
        return _("same as a year ago") if spec.year_on_year else _("same as the previous period")
    size = abs(figure["change"])
    if spec.year_on_year:
        size_text = f"{decimal(abs(figure['change_pct']))}%" if figure["change_pct"] is not None else f"{size:g}"
        return _("up %(amount)s year on year", amount=size_text) if direction == "up" else \
            _("down %(amount)s year on year", amount=size_text)
    if spec.unit == "percent":
        return _("up %(amount)s points on the previous period", amount=decimal(size)) if direction == "up" else \
            _("down %(amount)s points on the previous period", amount=decimal(size))
    size_text = amount(size, spec.unit)
    if spec.unit == "count" and figure["change_pct"] is not None:
        size_text = f"{size_text} ({decimal(abs(figure['change_pct']))}%)"
    return _("up %(amount)s on the previous period", amount=size_text) if direction == "up" else \
        _("down %(amount)s on the previous period", amount=size_text)


def tile(spec: TileSpec, figure: dict) -> Tile:
    change = figure["change"]
    direction = "none" if change is None else "up" if change > 0 else "down" if change < 0 else "same"
    tone = "neutral" if spec.better is None or direction in ("none", "same") else \
        "good" if direction == spec.better else "bad"
    previous = amount(figure["previous"], spec.unit)
    return Tile(spec.key, str(spec.label), amount(figure["value"], spec.unit),
                _("A year ago: %(value)s", value=previous) if spec.year_on_year else
                _("Previous period: %(value)s", value=previous),
                direction, ARROWS[direction], _change_words(spec, figure, direction), tone)


def tiles(figures: dict) -> list[Tile]:
    return [tile(spec, figures[spec.path[0]][spec.path[1]]) for spec in TILES]


def _day(text: str) -> str:
    return date.fromisoformat(text).strftime("%m-%d")


def trend_chart(found: Dashboard) -> dict:
    names = {"cases": _("Cases"), "incidents": _("Incidents"), "closed": _("Closed matters")}
    points = found.trends["cases"]
    return {"title": _("Trend"), "dates": [_day(point["start"]) for point in points],
            "series": [{"key": metric, "name": names[metric], "values": [p["value"] for p in found.trends[metric]]}
                       for metric in found.trends]}


def funnel_chart(figures: dict) -> dict:
    disputes = figures["disputes"]
    levels = disputes["resolved_at"]
    stages = [("entered", _("Disputes entered"), disputes["entered"]["value"]),
              ("community", _("Resolved by community mediation"), levels["community"]["value"]),
              ("street", _("Resolved by street mediation"), levels["street"]["value"]),
              ("joint", _("Resolved by joint mediation"), levels["joint"]["value"]),
              ("court", _("Filed at the shared court"), levels["court"]["value"])]
    return {"title": _("Dispute funnel"),
            "stages": [{"key": key, "name": name, "value": value or 0} for key, name, value in stages],
            "without_court": amount(disputes["resolved_without_court_share"]["value"], "percent"),
            "open": disputes["open"]["value"] or 0}


def ranking_chart(figures: dict, rank: str) -> dict:
    rows = figures["sla"]["by_agency"]
    if rank == "overdue":
        ranked = sorted((row for row in rows if row["overdue"]), key=lambda row: (-row["overdue"], row["name"] or ""))
        unit = ""
    else:
        ranked = sorted((row for row in rows if row["on_time_rate"] is not None),
                        key=lambda row: (-row["on_time_rate"], row["name"] or ""))
        unit = "%"
    shown = ranked[:CHART_LIMIT]
    return {"title": str(RANKING_LABELS[rank]), "metric": rank, "unit": unit,
            "series_name": _("Overdue tasks") if rank == "overdue" else _("On-time rate"),
            "names": [row["name"] or _("No agency") for row in shown], "values": [row[rank] for row in shown]}


def chart_data(found: Dashboard, rank: str, *, wall: bool) -> dict:
    """The JSON the charts script reads: every label already in the page's language."""
    return {"theme": "dark" if wall else "light", "empty": _("No data in this period"),
            "trend": trend_chart(found), "funnel": funnel_chart(found.figures),
            "ranking": ranking_chart(found.figures, rank)}

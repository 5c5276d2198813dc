"""Supervision indicators (督办统计): the full set for a period, and one indicator's trend for charts."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine.indicators import (
    GRANULARITIES,
    TREND_METRICS,
    check_period,
    default_period,
    indicators,
    resolve_scope,
    trend,
)
from engine.indicators.scope import add_months
from engine.models import AGENCY_LEVELS
from web.api.actor import current_actor

blp = Blueprint("indicators", __name__, url_prefix="/api/v1/indicators", description="督办统计 Indicators")


# Codes of agencies, processes and categories: letters, digits, "_", "-" and ".".
CODE = validate.Regexp(r"^[A-Za-z0-9_.\-]+$", error="a code: letters, digits, _ - and . only")


class IndicatorQuerySchema(Schema):
    from_ = fields.Date(data_key="from", metadata={"description": "first day (local), default: this month's first"})
    to = fields.Date(metadata={"description": "the day after the last (exclusive); default: a month after `from`"})
    agency = fields.String(validate=[validate.Length(min=1, max=64), CODE],
                           metadata={"description": "agency code: its area (default: a supervisor's own agency)"})
    tier = fields.String(validate=validate.OneOf(AGENCY_LEVELS),
                         metadata={"description": "tasks at agencies of this level; cases handled at one"})
    process = fields.String(validate=[validate.Length(min=1, max=100), CODE], metadata={"description": "process id"})
    category = fields.String(validate=[validate.Length(min=1, max=64), CODE],
                             metadata={"description": "case and incident category (noise, wage_dispute...)"})


class TrendQuerySchema(IndicatorQuerySchema):
    metric = fields.String(required=True, validate=validate.OneOf(TREND_METRICS))
    granularity = fields.String(load_default="day", validate=validate.OneOf(GRANULARITIES))


def _number(**kwargs):
    return fields.Float(allow_none=True, **kwargs)


FigureSchema = Schema.from_dict({
    "value": _number(),
    "previous": _number(metadata={"description": "the previous period's (year on year: a year ago)"}),
    "change": _number(metadata={"description": "value - previous (percentage points for rates)"}),
    "change_pct": _number(metadata={"description": "the change relative to previous, in percent"}),
}, name="Figure")


def _group(name: str, keys: tuple[str, ...], **extra) -> type[Schema]:
    return Schema.from_dict({**{key: fields.Nested(FigureSchema) for key in keys}, **extra}, name=name)


_ON_TIME = {"with_deadline": fields.Integer(), "on_time": fields.Integer(), "on_time_rate": _number(),
            "overdue": fields.Integer(), "supervision_notices": fields.Integer()}
AgencyOnTimeSchema = Schema.from_dict({"agency": fields.String(allow_none=True), "name": fields.String(allow_none=True),
                                       "tier": fields.String(allow_none=True), **_ON_TIME}, name="AgencyOnTime")
TierOnTimeSchema = Schema.from_dict({"tier": fields.String(), **_ON_TIME}, name="TierOnTime")
_DAY = {"format": "date", "description": "YYYY-MM-DD, local"}
PeriodSchema = Schema.from_dict({"from": fields.String(metadata=_DAY), "to": fields.String(metadata=_DAY)},
                               name="IndicatorPeriod")
FiltersSchema = Schema.from_dict({name: fields.String(allow_none=True)
                                  for name in ("agency", "tier", "process", "category")}, name="IndicatorFilters")
LevelsSchema = _group("FunnelLevels", ("community", "street", "joint", "court"))

IndicatorsSchema = Schema.from_dict({
    "period": fields.Nested(PeriodSchema), "previous_period": fields.Nested(PeriodSchema),
    "year_ago_period": fields.Nested(PeriodSchema), "filters": fields.Nested(FiltersSchema),
    "incidents": fields.Nested(_group("IncidentIndicators", ("total", "non_police", "non_police_share"))),
    "handling": fields.Nested(_group("HandlingIndicators", (
        "cases", "taken_in", "closed_by_period_end", "closure_rate", "closed", "on_time_closure_rate",
        "handling_hours_avg", "handling_hours_median", "divert_minutes_avg"))),
    "return_visits": fields.Nested(_group("ReturnVisitIndicators", (
        "visits", "satisfied", "satisfaction_rate", "tasks_closed", "returned", "return_rate", "reopened",
        "redo_rate"))),
    "disputes": fields.Nested(_group("DisputeIndicators", (
        "entered", "closed", "open", "judicially_confirmed", "mediation_success_rate",
        "resolved_without_court_share"), resolved_at=fields.Nested(LevelsSchema))),
    "sla": fields.Nested(_group("SlaIndicators", (
        "tasks_with_deadline", "on_time", "on_time_rate", "overdue", "supervision_notices"),
        by_agency=fields.List(fields.Nested(AgencyOnTimeSchema)),
        by_tier=fields.List(fields.Nested(TierOnTimeSchema)))),
    "year_on_year": fields.Nested(_group("YearOnYearIndicators", ("cases", "incidents"))),
}, name="Indicators")

TrendSchema = Schema.from_dict({
    "metric": fields.String(), "granularity": fields.String(), "period": fields.Nested(PeriodSchema),
    "filters": fields.Nested(FiltersSchema),
    "points": fields.List(fields.Nested(Schema.from_dict({"start": fields.String(metadata=_DAY), "value": _number()},
                                                         name="TrendPoint"))),
}, name="Trend")


def _scope_and_period(query: dict):
    """The checked filters and period of a query (422 for bad ones, 403 outside the caller's area)."""
    scope = resolve_scope(actor=current_actor(), agency_code=query.get("agency"), tier=query.get("tier"),
                          process_id=query.get("process"), category=query.get("category"))
    start = query.get("from_") or default_period().start
    return scope, check_period(start, query.get("to") or add_months(start, 1))


@blp.route("")
@blp.arguments(IndicatorQuerySchema, location="query")
@blp.response(200, IndicatorsSchema)
def index(query):
    """The full indicator set of a period (supervisors: their area; administrators: any), with the previous
    period's values and the same period a year earlier."""
    scope, period = _scope_and_period(query)
    return indicators(scope=scope, period=period)


@blp.route("/trend")
@blp.arguments(TrendQuerySchema, location="query")
@blp.response(200, TrendSchema)
def trend_points(query):
    """One indicator per day or per week (Monday to Sunday) of the period: a chart's points."""
    scope, period = _scope_and_period(query)
    return trend(scope=scope, period=period, metric=query["metric"], granularity=query["granularity"])

"""The supervision dashboard (数据看板): KPI tiles and charts for a period, and its large-screen mode for a wall."""

from datetime import timedelta

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import login_required
from marshmallow import fields
from marshmallow.validate import Length, OneOf, Regexp
from werkzeug.exceptions import BadRequest

from engine import InvalidInputError
from engine.dashboard import PRESETS, dashboard
from engine.db import utcnow
from engine.indicators import GRANULARITIES
from engine.models import AGENCY_LEVELS
from web.pages.common import PageSchema, page_actor, validated
from web.pages.dashboard_view import LEVEL_LABELS, PRESET_LABELS, RANKING_LABELS, RANKINGS, chart_data, tiles

dashboard_pages = Blueprint("dashboard", __name__)
WALL_REFRESH_SECONDS = 300
# The codes the indicators API accepts for agencies, processes and categories.
CODE = Regexp(r"^[A-Za-z0-9_.\-]+$", error="a code: letters, digits, _ - and . only")


class DashboardQuery(PageSchema):
    from_ = fields.Date(data_key="from", load_default=None)
    to = fields.Date(load_default=None)
    period = fields.String(load_default=None, validate=OneOf(PRESETS))
    agency = fields.String(load_default=None, validate=[Length(max=64), CODE])
    tier = fields.String(load_default=None, validate=OneOf(AGENCY_LEVELS))
    process = fields.String(load_default=None, validate=[Length(max=100), CODE])
    category = fields.String(load_default=None, validate=[Length(max=64), CODE])
    granularity = fields.String(load_default=None, validate=OneOf(GRANULARITIES))
    rank = fields.String(load_default="on_time_rate", validate=OneOf(RANKINGS))
    screen = fields.String(load_default=None, validate=OneOf(("wall",)))


def _render(query: dict, *, wall: bool):
    try:
        found = dashboard(actor=page_actor(), preset=query["period"], start=query["from_"], end=query["to"],
                          agency_code=query["agency"], tier=query["tier"], process_id=query["process"],
                          category=query["category"], granularity=query["granularity"])
    except InvalidInputError as error:
        fields_named = ", ".join(sorted(error.details)) or "from, to"
        raise BadRequest(_("Some values in the address or form are not valid: %(fields)s.", fields=fields_named)
                         + " " + error.message) from None
    context = {"found": found, "query": query, "tiles": tiles(found.figures), "now": utcnow(),
               "charts": chart_data(found, query["rank"], wall=wall), "rank": query["rank"],
               "level_labels": {code: str(label) for code, label in LEVEL_LABELS.items()},
               "preset_labels": {code: str(label) for code, label in PRESET_LABELS.items()},
               "ranking_labels": {code: str(label) for code, label in RANKING_LABELS.items()},
               "refresh_seconds": WALL_REFRESH_SECONDS, "last_day": found.period.end - timedelta(days=1),
               "filter_args": {key: value for key, value in request.args.items() if key not in ("screen", "lang")}}
    return render_template("dashboard_wall.html" if wall else "dashboard.html", **context)


@dashboard_pages.get("/dashboard")
@login_required
def page():
    query = validated(DashboardQuery(), request.args)
    return _render(query, wall=query["screen"] == "wall")


@dashboard_pages.get("/dashboard/wall")
@login_required
def wall():
    return _render(validated(DashboardQuery(), request.args), wall=True)

"""The supervisors' pages: the SLA board (/supervision), its drill-down, supervision notices and reassignment."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from marshmallow import fields
from marshmallow.validate import Length, OneOf, Range

from engine import InvalidInputError, reassign_task
from engine.db import utcnow
from engine.sla_board import BOARD_STATES, TIERS, board_tasks, sla_board
from engine.supervision_notices import MAX_MESSAGE, send_supervision_notice
from web.pages.common import PageSchema, back, is_htmx, page_actor, validated
from web.pages.tasks import TASK_ID
from web.pages.tasks import _page as task_page

supervision_pages = Blueprint("supervision", __name__)
TIER_LABELS = {"city": _l("City"), "district": _l("District"), "street": _l("Street")}
STATE_LABELS = {"overdue": _l("Overdue"), "due_soon": _l("Due soon")}
# The reports issue's indicators API; the board links to it once it is registered.
INDICATORS_ENDPOINTS = ("indicators.index", "indicators.indicators", "indicators.get")


class DrillDownQuery(PageSchema):
    agency = fields.String(load_default=None, validate=Length(max=64))
    tier = fields.String(load_default=None, validate=OneOf(TIERS))
    state = fields.String(load_default=None, validate=OneOf(BOARD_STATES))
    page = fields.Integer(load_default=1, validate=Range(min=1, max=100000))


@supervision_pages.app_context_processor
def _notice_limit() -> dict:
    return {"notice_max_length": MAX_MESSAGE}


def _indicators_url() -> str | None:
    endpoint = next((name for name in INDICATORS_ENDPOINTS if name in current_app.view_functions), None)
    return url_for(endpoint) if endpoint else None


def _labels() -> dict:
    return {"tier_labels": {code: str(label) for code, label in TIER_LABELS.items()},
            "state_labels": {code: str(label) for code, label in STATE_LABELS.items()}}


@supervision_pages.get("/supervision")
@login_required
def board():
    found = sla_board(actor=page_actor(), now=utcnow())
    return render_template("supervision.html", board=found, indicators_url=_indicators_url(), **_labels())


@supervision_pages.get("/supervision/tasks")
@login_required
def tasks():
    query = validated(DrillDownQuery(), request.args)
    found = board_tasks(actor=page_actor(), now=utcnow(), state=query["state"], agency_code=query["agency"],
                        tier=query["tier"], page=query["page"])
    return render_template("supervision_tasks.html", found=found, query=query, **_labels())


def _notice_problem(error: InvalidInputError) -> str:
    problems = error.details.get("message", [])
    if "required" in problems:
        return _("Write what the agency should do.")
    if any(problem.startswith("at most") for problem in problems):
        return _("A supervision notice holds at most %(count)d characters.", count=MAX_MESSAGE)
    return error.message


@supervision_pages.post(f"/tasks/{TASK_ID}/supervision-notice")
@login_required
def send_notice(task_id: int):
    message = request.form.get("message", "")
    try:
        sent = send_supervision_notice(task_id=task_id, username=current_user.username, message=message)
    except InvalidInputError as error:
        problem = _notice_problem(error)
        if is_htmx():
            return render_template("_notice_form.html", task_id=task_id, errors=[problem], value=message), 422
        return task_page(task_id, 422, notice_values=request.form, notice_errors=[problem])
    confirmation = _("Supervision notice sent to %(agency)s.", agency=sent.agency_name)
    if is_htmx():
        return render_template("_notice_form.html", task_id=task_id, errors=[], value="", sent=confirmation)
    flash(confirmation, "success")
    return back("task_pages.page", task_id=task_id)


@supervision_pages.post(f"/tasks/{TASK_ID}/reassign")
@login_required
def reassign(task_id: int):
    try:
        task = reassign_task(task_id=task_id, username=current_user.username,
                             agency_code=request.form.get("agency", ""), reason=request.form.get("reason", ""))
    except InvalidInputError as error:
        errors = {}
        if "reason" in error.details:
            errors["reason"] = [_("Give a reason for the reassignment.")]
        if "agency" in error.details:
            errors["agency"] = [_("Choose another agency of your area.")]
        return task_page(task_id, 422, reassign_values=request.form, reassign_errors=errors or {"": [error.message]})
    flash(_("The task was reassigned to %(agency)s.", agency=task.agency_name), "success")
    return redirect(url_for("task_pages.page", task_id=task_id))

"""The inbox (/inbox): my tasks, my agency's unclaimed tasks, overdue tasks; claim and unclaim in one click."""

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import fields
from marshmallow.validate import Length, OneOf, Range

from engine import claim_task, unclaim_task
from engine.overviews import inbox_overview
from engine.queries import INBOX_VIEWS
from engine.services_catalogue import category_choices
from processes.stages import STAGES
from web.pages.common import PageSchema, back, is_htmx, page_actor, validated

inbox_pages = Blueprint("inbox", __name__)
TASK_ID = "<int(max=2147483647):task_id>"


class InboxQuery(PageSchema):
    view = fields.String(load_default="mine", validate=OneOf(INBOX_VIEWS))
    process = fields.String(load_default=None, validate=Length(max=100))
    stage = fields.String(load_default=None, validate=OneOf(STAGES))
    category = fields.String(load_default=None, validate=OneOf([code for code, _name in category_choices()]))
    page = fields.Integer(load_default=1, validate=Range(min=1, max=100000))


def _tabs() -> list[tuple[str, str]]:
    return [("mine", _("My tasks")), ("agency", _("My agency's unclaimed")), ("overdue", _("Overdue"))]


def _empty_message(view: str) -> str:
    return {"mine": _("You have no claimed tasks. Claim one under “My agency's unclaimed”."),
            "agency": _("Your agency has no unclaimed tasks."),
            "overdue": _("Nothing is overdue.")}[view]


@inbox_pages.get("/inbox")
@login_required
def page():
    query = validated(InboxQuery(), request.args)
    overview = inbox_overview(actor=page_actor(), view=query["view"], process_id=query["process"],
                              stage=query["stage"], category=query["category"], page=query["page"])
    return render_template("inbox.html", overview=overview, query=query, tabs=_tabs(),
                           empty_message=_empty_message(query["view"]))


def _state(task, message: str):
    """Answer a claim or unclaim: the task's new state for htmx, else back to the page it came from."""
    if is_htmx():
        return render_template("_task_state.html", task=task, next_url=url_for("inbox.page"))
    flash(message, "info")
    return back("inbox.page")


@inbox_pages.post(f"/tasks/{TASK_ID}/claim")
@login_required
def claim(task_id: int):
    task = claim_task(task_id=task_id, username=current_user.username)
    return _state(task, _("You claimed “%(task)s”.", task=task.name))


@inbox_pages.post(f"/tasks/{TASK_ID}/unclaim")
@login_required
def unclaim(task_id: int):
    task = unclaim_task(task_id=task_id, username=current_user.username)
    return _state(task, _("“%(task)s” is back in your agency's queue.", task=task.name))

"""Extension requests (/extensions): a supervisor approves or refuses them (延期审批), each in place with htmx."""

from flask import Blueprint, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from marshmallow import fields
from marshmallow.validate import OneOf, Range

from engine import InvalidInputError, decide_extension, get_extension, list_extensions
from engine.models import EXTENSION_STATUSES
from web.pages.common import PageSchema, back, is_htmx, page_actor, validated
from web.pages.display import local_time

extension_pages = Blueprint("extension_pages", __name__)
EXTENSION_ID = "<int(max=2147483647):extension_id>"
STATUS_LABELS = {"pending": _l("Waiting for a decision"), "approved": _l("Approved"), "refused": _l("Refused")}


class ExtensionsQuery(PageSchema):
    status = fields.String(load_default="pending", validate=OneOf(EXTENSION_STATUSES))
    page = fields.Integer(load_default=1, validate=Range(min=1, max=100000))


@extension_pages.app_template_filter("extension_status_label")
def extension_status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def _list(query: dict, status: int = 200, **problem):
    """Render a page of requests; `problem` (failed_id, note_errors, note_value) marks the one a decision failed on."""
    actor = page_actor()
    found = list_extensions(actor=actor, status=query["status"], page=query["page"])
    return render_template("extensions.html", found=found, query=query, statuses=EXTENSION_STATUSES,
                           is_supervisor=actor.has_role("supervisor"), **problem), status


@extension_pages.get("/extensions")
@login_required
def page():
    return _list(validated(ExtensionsQuery(), request.args))


def _decide(extension_id: int, approve: bool):
    note = request.form.get("note", "")
    try:
        decided = decide_extension(extension_id=extension_id, username=current_user.username, approve=approve,
                                   note=note)
    except InvalidInputError as error:
        problem = {"failed_id": extension_id, "note_value": note,
                   "note_errors": [_("Say why the request is refused.") if "note" in error.details else error.message]}
        if is_htmx():
            return render_template("_extension_item.html", extension=get_extension(extension_id, page_actor()),
                                   is_supervisor=True, **problem), 422
        return _list({"status": "pending", "page": 1}, 422, **problem)
    message = _("Extension approved: the task is now due %(time)s.", time=local_time(decided.requested_due_at)) \
        if approve else _("Extension refused.")
    if is_htmx():
        return render_template("_extension_item.html", extension=decided, is_supervisor=True, decided=message)
    flash(message, "success")
    return back("extension_pages.page")


@extension_pages.post(f"/extensions/{EXTENSION_ID}/approve")
@login_required
def approve(extension_id: int):
    return _decide(extension_id, True)


@extension_pages.post(f"/extensions/{EXTENSION_ID}/refuse")
@login_required
def refuse(extension_id: int):
    return _decide(extension_id, False)

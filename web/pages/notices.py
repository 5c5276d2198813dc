"""Notices (/notices): the notices addressed to me or my agency, unread first; a supervisor also tracks those sent."""

from flask import Blueprint, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from marshmallow import fields
from marshmallow.validate import OneOf, Range

from engine.notices import list_notices, mark_notice_read
from engine.supervision_notices import list_sent_notices
from web.pages.common import PageSchema, back, is_htmx, page_actor, validated

notice_pages = Blueprint("notice_pages", __name__)
NOTICE_KINDS = {"reminder": _l("Deadline reminder"), "supervision": _l("Supervision notice"),
                "report": _l("Overdue report"), "assignment": _l("New task"), "due_soon": _l("Deadline approaching"),
                "returned": _l("Matter returned"), "closed": _l("Matter closed")}


class NoticesQuery(PageSchema):
    tab = fields.String(load_default="received", validate=OneOf(("received", "sent")))
    page = fields.Integer(load_default=1, validate=Range(min=1, max=100000))


@notice_pages.app_template_filter("notice_kind_label")
def notice_kind_label(kind: str) -> str:
    return str(NOTICE_KINDS.get(kind, kind))


@notice_pages.get("/notices")
@login_required
def page():
    query = validated(NoticesQuery(), request.args)
    actor = page_actor()
    if query["tab"] == "sent":
        found = list_sent_notices(actor=actor, page=query["page"])
    else:
        found = list_notices(actor=actor, page=query["page"], unread_first=True)
    return render_template("notices.html", found=found, query=query,
                           is_supervisor=actor.has_role("supervisor"))


@notice_pages.post("/notices/<int(max=2147483647):notice_id>/read")
@login_required
def read(notice_id: int):
    notice = mark_notice_read(notice_id=notice_id, username=current_user.username)
    if is_htmx():
        return render_template("_notice_item.html", notice=notice)
    flash(_("The notice is marked as read."), "info")
    return back("notice_pages.page")

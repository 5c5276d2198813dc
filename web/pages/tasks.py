"""The task page (/tasks/<id>): case summary, the task's form, complete, return, comment, ask for an extension."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

import engine
from engine import ConflictError, InvalidInputError, complete_task, return_task
from engine.comments import add_comment
from engine.overviews import task_overview
from web.pages.common import page_actor
from web.pages.field_errors import field_errors
from web.pages.task_form import form_data, form_fields

task_pages = Blueprint("task_pages", __name__)
TASK_ID = "<int(max=2147483647):task_id>"
# Asking for more time is engine.request_extension; the section shows only when the engine has it.
request_extension = getattr(engine, "request_extension", None)
EXTENSION_CHOICES = [("4 hours", _l("4 hours")), ("1 working day", _l("1 working day")),
                     ("2 working days", _l("2 working days")), ("3 working days", _l("3 working days")),
                     ("5 working days", _l("5 working days"))]


def _page(task_id: int, status: int = 200, overview=None, **state):
    """Render the task page; `state` carries what a failed submission keeps (values and errors)."""
    overview = overview or task_overview(task_id, actor=page_actor())
    fields = form_fields(overview.form)
    context = {"values": MultiDict(), "errors": {}, "return_values": {}, "return_errors": [],
               "comment_values": {}, "comment_errors": [], "extension_values": {}, "extension_errors": {},
               # a supervisor's forms (web/pages/supervision.py): supervision notice, reassignment
               "notice_values": {}, "notice_errors": [], "reassign_values": {}, "reassign_errors": {},
               **state}
    return render_template("task.html", overview=overview, fields=fields, on_task_page=True,
                           extension_enabled=request_extension is not None,
                           extension_choices=[(code, str(label)) for code, label in EXTENSION_CHOICES],
                           **context), status


@task_pages.get(f"/tasks/{TASK_ID}")
@login_required
def page(task_id: int):
    return _page(task_id)


@task_pages.post(f"/tasks/{TASK_ID}/complete")
@login_required
def complete(task_id: int):
    overview = task_overview(task_id, actor=page_actor())
    fields = form_fields(overview.form)
    data, errors = form_data(fields, request.form)
    if not errors:
        try:
            case = complete_task(task_id=task_id, username=current_user.username, data=data)
        except InvalidInputError as error:
            errors = field_errors(error.details, fields) or {"": [error.message]}
        else:
            flash(_("Task completed."), "success")
            return redirect(url_for("case_pages.page", case_id=case.id))
    return _page(task_id, 422, overview, values=request.form, errors=errors)


@task_pages.post(f"/tasks/{TASK_ID}/return")
@login_required
def return_(task_id: int):
    try:
        return_task(task_id=task_id, username=current_user.username, reason=request.form.get("reason", ""))
    except InvalidInputError as error:
        problem = _("Give a reason for returning the task.") if "reason" in error.details else error.message
        return _page(task_id, 422, return_values=request.form, return_errors=[problem])
    flash(_("The task was returned."), "success")
    return redirect(url_for("inbox.page"))


@task_pages.post(f"/tasks/{TASK_ID}/comments")
@login_required
def comment(task_id: int):
    try:
        add_comment(task_id=task_id, username=current_user.username, body=request.form.get("body", ""))
    except InvalidInputError as error:
        problems = field_errors(error.details, [])
        return _page(task_id, 422, comment_values=request.form,
                     comment_errors=problems.get("", []) or [error.message])
    return redirect(url_for("task_pages.page", task_id=task_id, _anchor="comments"))


# ---- Extension request (延期申请) ----
@task_pages.post(f"/tasks/{TASK_ID}/extension")
@login_required
def extension(task_id: int):
    if request_extension is None:
        abort(404)
    extra = request.form.get("extra", "")
    if extra not in dict(EXTENSION_CHOICES):
        return _page(task_id, 422, extension_values=request.form,
                     extension_errors={"extra": [_("Choose how much more time you need.")]})
    try:
        request_extension(task_id=task_id, username=current_user.username, reason=request.form.get("reason", ""),
                          extra=extra)
    except (InvalidInputError, ConflictError) as error:
        details = error.details if isinstance(error, InvalidInputError) else {}
        errors = {"reason": [_("Give a reason for the extension.")]} if "reason" in details else \
            {"": [error.message]}
        return _page(task_id, 422 if isinstance(error, InvalidInputError) else 409,
                     extension_values=request.form, extension_errors=errors)
    flash(_("Your extension request was sent to the agency above for a decision."), "success")
    return redirect(url_for("task_pages.page", task_id=task_id))

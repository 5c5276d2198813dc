"""The case page (/cases/<id>): timeline, diagram with progress, agencies involved, closed-loop step."""

from flask import Blueprint, render_template
from flask_login import login_required

from engine.overviews import case_overview
from web.pages.common import page_actor

case_pages = Blueprint("case_pages", __name__)


@case_pages.get("/cases/<int(max=2147483647):case_id>")
@login_required
def page(case_id: int):
    overview = case_overview(case_id, actor=page_actor())
    task_names = {task.id: task.name for task in overview.tasks}
    return render_template("case.html", overview=overview, case=overview.case, task_names=task_names)

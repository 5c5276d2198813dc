"""Tasks: inboxes, claim, unclaim, complete, return, reassign, and the form to fill."""

from flask_smorest import Blueprint

from engine import claim_task, complete_task, reassign_task, return_task, unclaim_task
from engine.queries import get_task, inbox
from processes.forms import load_form
from web.api.actor import acting_username, current_actor
from web.api.schemas import (
    CaseSchema,
    CompleteTaskSchema,
    InboxQuerySchema,
    ReassignTaskSchema,
    ReturnTaskSchema,
    TaskPageSchema,
    TaskSchema,
)

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="任务 Tasks")


@blp.route("")
@blp.arguments(InboxQuerySchema, location="query")
@blp.response(200, TaskPageSchema)
def list_inbox(query):
    """Your inbox: `mine` (claimed by you), `agency` (your agency's unclaimed) or `overdue`."""
    return inbox(actor=current_actor(), **query)


@blp.route("/<int(max=2147483647):task_id>")
@blp.response(200, TaskSchema)
def read(task_id):
    """A task you may see."""
    return get_task(task_id, actor=current_actor())


@blp.route("/<int(max=2147483647):task_id>/form")
@blp.response(200)
def form(task_id):
    """The JSON Schema of the task's form (an empty object schema when it has none)."""
    task = get_task(task_id, actor=current_actor())
    return load_form(task.form) if task.form else {"type": "object", "properties": {}}


@blp.route("/<int(max=2147483647):task_id>/claim", methods=["POST"])
@blp.response(200, TaskSchema)
def claim(task_id):
    """Sign for a task (签收)."""
    return claim_task(task_id=task_id, username=acting_username())


@blp.route("/<int(max=2147483647):task_id>/unclaim", methods=["POST"])
@blp.response(200, TaskSchema)
def unclaim(task_id):
    """Give a claimed task back to its agency."""
    return unclaim_task(task_id=task_id, username=acting_username())


@blp.route("/<int(max=2147483647):task_id>/complete", methods=["POST"])
@blp.arguments(CompleteTaskSchema)
@blp.response(200, CaseSchema)
def complete(body, task_id):
    """Complete a task with its form data; answers the case as it stands afterwards."""
    return complete_task(task_id=task_id, username=acting_username(), data=body["data"])


@blp.route("/<int(max=2147483647):task_id>/return", methods=["POST"])
@blp.arguments(ReturnTaskSchema)
@blp.response(200, CaseSchema)
def return_(body, task_id):
    """Return a misrouted task (退回) with a reason."""
    return return_task(task_id=task_id, username=acting_username(), reason=body["reason"])


@blp.route("/<int(max=2147483647):task_id>/reassign", methods=["POST"])
@blp.arguments(ReassignTaskSchema)
@blp.response(200, TaskSchema)
def reassign(body, task_id):
    """Send an open or claimed task to another agency in your area (改派), with a reason. Supervisors only."""
    return reassign_task(task_id=task_id, username=acting_username(), agency_code=body["agency"],
                         reason=body["reason"])

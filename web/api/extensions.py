"""Task extensions (延期): ask for more time on a task; supervisors above its agency approve or refuse."""

from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from engine import decide_extension, get_extension, list_extensions, request_extension
from engine.models import EXTENSION_STATUSES
from web.api.actor import acting_username, current_actor
from web.api.schemas import PageQuerySchema, PageSchema

blp = Blueprint("extensions", __name__, url_prefix="/api/v1", description="延期 Task extensions")


class ExtensionSchema(Schema):
    id = fields.Integer()
    task_id = fields.Integer()
    case_id = fields.Integer()
    task_name = fields.String()
    agency_code = fields.String(allow_none=True, metadata={"description": "the task's agency"})
    decider_agency_code = fields.String(metadata={"description": "the agency above it, whose supervisors decide"})
    decider_agency_name = fields.String()
    requested_by = fields.String()
    reason = fields.String()
    previous_due_at = fields.DateTime(allow_none=True)
    requested_due_at = fields.DateTime()
    status = fields.String(metadata={"description": ", ".join(EXTENSION_STATUSES)})
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)
    created_at = fields.DateTime()


class ExtensionPageSchema(PageSchema):
    items = fields.List(fields.Nested(ExtensionSchema))


class ExtensionQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(EXTENSION_STATUSES))


class NewExtensionSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    until = fields.AwareDateTime(metadata={"description": "the new deadline, ISO 8601 with a UTC offset"})
    extra = fields.String(validate=validate.Length(min=1, max=100), metadata={
        "description": "more time counted from the current deadline, such as '2 working days' or '4 hours'"})

    @validates_schema
    def _one_of_until_or_extra(self, data, **_kwargs):
        if ("until" in data) == ("extra" in data):
            message = "give exactly one of until or extra"
            raise ValidationError({"until": [message], "extra": [message]})


class ApproveSchema(Schema):
    note = fields.String(validate=validate.Length(max=500), allow_none=True)


class RefuseSchema(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=500),
                         metadata={"description": "why the request is refused"})


@blp.route("/tasks/<int(max=2147483647):task_id>/extensions", methods=["POST"])
@blp.arguments(NewExtensionSchema)
@blp.response(201, ExtensionSchema)
def request_(body, task_id):
    """Ask for more time on an open or claimed task you may act on, with a reason: `until` or `extra`."""
    return request_extension(task_id=task_id, username=acting_username(), **body)


@blp.route("/extensions")
@blp.arguments(ExtensionQuerySchema, location="query")
@blp.response(200, ExtensionPageSchema)
def list_(query):
    """Extension requests, newest first: supervisors get those they may decide, staff their agency's."""
    return list_extensions(actor=current_actor(), **query)


@blp.route("/extensions/<int(max=2147483647):extension_id>")
@blp.response(200, ExtensionSchema)
def read(extension_id):
    """An extension request on a case you may see."""
    return get_extension(extension_id, current_actor())


@blp.route("/extensions/<int(max=2147483647):extension_id>/approve", methods=["POST"])
@blp.arguments(ApproveSchema)
@blp.response(200, ExtensionSchema)
def approve(body, extension_id):
    """Approve a pending request (supervisors of the agency above the task's, or further up): moves the deadline."""
    return decide_extension(extension_id=extension_id, username=acting_username(), approve=True,
                            note=body.get("note"))


@blp.route("/extensions/<int(max=2147483647):extension_id>/refuse", methods=["POST"])
@blp.arguments(RefuseSchema)
@blp.response(200, ExtensionSchema)
def refuse(body, extension_id):
    """Refuse a pending request, with a note saying why; the deadline stays."""
    return decide_extension(extension_id=extension_id, username=acting_username(), approve=False,
                            note=body["note"])

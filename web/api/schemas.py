"""Request and response schemas of the HTTP API (marshmallow), documented in the OpenAPI document."""

from marshmallow import Schema, fields, validate

from engine.models import CASE_STATUSES
from engine.queries import INBOX_VIEWS
from engine.services_catalogue import category_choices


class PageQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class TaskSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    bpmn_id = fields.String()
    name = fields.String()
    lane = fields.String(allow_none=True)
    agency_code = fields.String(allow_none=True)
    agency_name = fields.String(allow_none=True)
    status = fields.String()
    claimed_by = fields.String(allow_none=True)
    form = fields.String(allow_none=True)
    stage = fields.String(allow_none=True)
    returnable = fields.Boolean()
    created_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)


class EventSchema(Schema):
    id = fields.Integer()
    event = fields.String()
    at = fields.DateTime()
    actor = fields.String(allow_none=True)
    task_id = fields.Integer(allow_none=True)
    data = fields.Dict(allow_none=True)


class CaseSchema(Schema):
    id = fields.Integer()
    process_id = fields.String()
    process_version = fields.Integer()
    title = fields.String()
    status = fields.String()
    location = fields.String()
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    open_tasks = fields.List(fields.Nested(TaskSchema))


class CaseDetailSchema(CaseSchema):
    events = fields.List(fields.Nested(EventSchema))


class PageSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()


class CasePageSchema(PageSchema):
    items = fields.List(fields.Nested(CaseSchema))


class TaskPageSchema(PageSchema):
    items = fields.List(fields.Nested(TaskSchema))


class CaseListQuerySchema(PageQuerySchema):
    process_id = fields.String()
    status = fields.String(validate=validate.OneOf(CASE_STATUSES))
    agency = fields.String(metadata={"description": "only cases with a task at this agency (code)"})
    created_from = fields.AwareDateTime(metadata={"description": "ISO 8601 with a UTC offset"})
    created_to = fields.AwareDateTime()
    overdue = fields.Boolean()


class InboxQuerySchema(PageQuerySchema):
    view = fields.String(required=True, validate=validate.OneOf(INBOX_VIEWS),
                         metadata={"description": "mine: claimed by me; agency: my agency's unclaimed; overdue"})
    process_id = fields.String(validate=validate.Length(min=1, max=100))
    category = fields.String(validate=validate.OneOf([code for code, _name in category_choices()]),
                             metadata={"description": "only tasks of cases of this incident category"})


class StartCaseSchema(Schema):
    process_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    data = fields.Dict(required=True, metadata={"description": "start form data; must include location"})


class CompleteTaskSchema(Schema):
    data = fields.Dict(load_default=dict, metadata={"description": "the task's form data"})


class ReturnTaskSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class ProgressSchema(Schema):
    case_id = fields.Integer()
    process_id = fields.String()
    process_version = fields.Integer()
    completed = fields.List(fields.String())
    active = fields.List(fields.String())
    overdue = fields.List(fields.String())


class ProcessVersionSchema(Schema):
    id = fields.Integer()
    process_id = fields.String()
    name = fields.String()
    version = fields.Integer()
    content_hash = fields.String()
    files = fields.List(fields.String())
    deployed_by = fields.String(allow_none=True)
    deployed_at = fields.DateTime()


class DeployResultSchema(Schema):
    process_id = fields.String()
    version = fields.Integer()
    created = fields.Boolean()


class DeployFilesSchema(Schema):
    files = fields.List(fields.Raw(metadata={"type": "string", "format": "binary"}), required=True,
                        validate=validate.Length(min=1, max=50))


class AgencySchema(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String()
    kind = fields.String()
    parent = fields.String(allow_none=True)
    path = fields.String()
    cross_area = fields.Boolean()


class ReassignTaskSchema(Schema):
    agency = fields.String(required=True, validate=validate.Length(min=1, max=64),
                           metadata={"description": "code of the agency the task goes to"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))

"""Notices (通知): the reminders, supervision notices (督办通知) and reports addressed to you or your agency."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from engine.notices import list_notices, mark_notice_read
from processes.supervision import NOTICE_KINDS
from web.api.actor import acting_username, current_actor
from web.api.schemas import PageQuerySchema, PageSchema

blp = Blueprint("notices", __name__, url_prefix="/api/v1/notices", description="通知 Notices")


class NoticeSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": " | ".join(NOTICE_KINDS)})
    message = fields.String()
    case_id = fields.Integer(allow_none=True)
    task_id = fields.Integer(allow_none=True)
    agency_id = fields.Integer(metadata={"description": "the agency it is addressed to"})
    user_id = fields.Integer(allow_none=True, metadata={"description": "the one user it is addressed to, if any"})
    sent_by_id = fields.Integer(allow_none=True, metadata={"description": "who sent it; none: the SLA monitor"})
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class NoticePageSchema(PageSchema):
    items = fields.List(fields.Nested(NoticeSchema))


class NoticeQuerySchema(PageQuerySchema):
    unread = fields.Boolean(load_default=False, metadata={"description": "only the notices not read yet"})


@blp.route("")
@blp.arguments(NoticeQuerySchema, location="query")
@blp.response(200, NoticePageSchema)
def index(query):
    """The notices addressed to you or to your agency, newest first."""
    return list_notices(actor=current_actor(), **query)


@blp.route("/<int(max=2147483647):notice_id>/read", methods=["POST"])
@blp.response(200, NoticeSchema)
def read(notice_id):
    """Mark a notice as read (once; reading it again changes nothing)."""
    return mark_notice_read(notice_id=notice_id, username=acting_username())

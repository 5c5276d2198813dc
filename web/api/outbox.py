"""The outbox (administrators): messages waiting for delivery, sent, or dead with their last error."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine import outbox
from engine.models import OUTBOX_STATUSES
from engine.users import require_admin
from web.api.actor import acting_username

blp = Blueprint("outbox", __name__, url_prefix="/api/v1/outbox", description="发件箱 Outbox (administrators)")


@blp.before_request
def _administrators_only() -> None:
    require_admin(acting_username())


class MessageSchema(Schema):
    id = fields.Integer()
    topic = fields.String(metadata={"description": "the channel kind that delivers it (webhook)"})
    dedupe_key = fields.String()
    payload = fields.Dict()
    status = fields.String(metadata={"description": " | ".join(OUTBOX_STATUSES)})
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime()
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


class OutboxQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(OUTBOX_STATUSES))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


@blp.route("")
@blp.arguments(OutboxQuerySchema, location="query")
@blp.response(200, MessageSchema(many=True))
def index(query):
    """The latest messages, newest first; `status=dead` lists those that need an administrator."""
    return outbox.list_messages(**query)


@blp.route("/<int(max=2147483647):message_id>/retry", methods=["POST"])
@blp.response(204)
def retry(message_id):
    """Give a dead message a fresh set of delivery attempts."""
    outbox.retry_dead(message_id)

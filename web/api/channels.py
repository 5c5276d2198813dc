"""Notification channels (通知渠道): where you, or your agency, hear of notices — email, SMS or a webhook.

Everyone chooses their own; supervisors (and administrators) also choose their agency's.
"""

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine.channels import add_my_channel, my_channels, remove_my_channel
from engine.models import CHANNEL_KINDS
from web.api.actor import acting_username, current_actor

blp = Blueprint("channels", __name__, url_prefix="/api/v1/channels", description="通知渠道 Notification channels")


class ChannelSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": " | ".join(CHANNEL_KINDS)})
    address = fields.String()
    agency_id = fields.Integer(allow_none=True, metadata={"description": "set: the agency's channel"})
    user_id = fields.Integer(allow_none=True, metadata={"description": "set: one user's channel"})
    active = fields.Boolean()
    created_at = fields.DateTime()


class NewChannelSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(CHANNEL_KINDS))
    address = fields.String(required=True, validate=validate.Length(min=1, max=500), metadata={
        "description": "an email address, a mobile number (13800138000) or an https:// URL"})
    secret = fields.String(load_default="", validate=validate.Length(max=200), metadata={
        "description": "a webhook's HMAC signing key (16+ characters); not used by email or SMS; never returned"})
    for_agency = fields.Boolean(load_default=False, metadata={
        "description": "true: your agency's channel (supervisors and administrators)"})


@blp.route("")
class Channels(MethodView):
    @blp.response(200, ChannelSchema(many=True))
    def get(self):
        """Your active channels, and your agency's if you are its supervisor."""
        return my_channels(actor=current_actor())

    @blp.arguments(NewChannelSchema)
    @blp.response(201, ChannelSchema)
    def post(self, body):
        """Add a channel for yourself or (supervisors) for your agency."""
        return add_my_channel(username=acting_username(), **body)


@blp.route("/<int(max=2147483647):channel_id>", methods=["DELETE"])
@blp.response(204)
def remove(channel_id):
    """Stop using one of your channels (it is kept, inactive, for the delivery history)."""
    remove_my_channel(username=acting_username(), channel_id=channel_id)

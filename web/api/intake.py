"""Incident intake: the 110 dispatch system pushes each incident here, signed.

The caller authenticates twice: with the integration user's API token (Bearer, as every API call) and
with an HMAC-SHA256 signature over "{timestamp}.{raw body}" under GONGZHI_INTAKE_HMAC_SECRET, the scheme
of our own outgoing webhooks. A timestamp more than MAX_SKEW_SECONDS from the server's clock is refused,
so a captured request cannot be replayed later; a replay within the window carries the same incident_id
and is answered from the first receipt (idempotency), changing nothing.
"""

import os
import time

from flask import current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import ServiceUnavailable, Unauthorized

from engine.incidents import MAX_EXTERNAL_ID, take_incident
from engine.signing import signature_matches
from web.api.actor import acting_username

SECRET_SETTING = "GONGZHI_INTAKE_HMAC_SECRET"
MAX_SKEW_SECONDS = 300
TIMESTAMP_HEADER = "X-Gongzhi-Timestamp"
SIGNATURE_HEADER = "X-Gongzhi-Signature"
SOURCE = "110"

blp = Blueprint("intake", __name__, url_prefix="/api/v1/intake", description="警情推送 Incident intake (110)")


def _secret() -> str | None:
    return current_app.config.get("INTAKE_HMAC_SECRET") or os.environ.get(SECRET_SETTING) or None


@blp.before_request
def _verify_signature() -> None:
    # Runs after the token check and before the body is read: an unsigned call never learns what its body lacks.
    secret = _secret()
    if secret is None:
        raise ServiceUnavailable(f"the 110 intake is not configured on this server: the operator sets {SECRET_SETTING}"
                                 " (the secret shared with the dispatch system)")
    stamp = request.headers.get(TIMESTAMP_HEADER, "").strip()
    if not stamp.isdigit():
        raise Unauthorized(f"send {TIMESTAMP_HEADER}: the Unix time in seconds at which the body was signed")
    skew = int(time.time()) - int(stamp)
    if abs(skew) > MAX_SKEW_SECONDS:
        raise Unauthorized(f"{TIMESTAMP_HEADER} is {abs(skew)} s {'old' if skew > 0 else 'ahead'}; at most "
                           f"{MAX_SKEW_SECONDS} s is accepted (replays are refused): sign each request when sending "
                           "it and keep the clock right (NTP)")
    given = request.headers.get(SIGNATURE_HEADER, "").strip()
    if not given:
        raise Unauthorized(f"send {SIGNATURE_HEADER}: sha256= and the hex HMAC-SHA256 of "
                           f"\"{{{TIMESTAMP_HEADER}}}.{{body}}\" under the shared secret")
    if not signature_matches(given, secret, stamp, request.get_data(cache=True)):
        raise Unauthorized(f"{SIGNATURE_HEADER} does not match the body: sign the exact bytes sent, as "
                           f"sha256=hex(HMAC-SHA256(secret, \"{{timestamp}}.{{body}}\"))")


class IncidentPushSchema(Schema):
    incident_id = fields.String(required=True, validate=validate.Length(min=1, max=MAX_EXTERNAL_ID),
                                metadata={"description": "the dispatch system's own id; sending it again is safe"})
    category = fields.String(required=True, validate=validate.Length(min=1, max=64),
                             metadata={"description": "a category of the diversion start form, e.g. noise, theft"})
    location = fields.String(required=True, validate=validate.Length(min=1, max=64),
                             metadata={"description": "code of the grid or community"})
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    reported_at = fields.String(required=True, validate=validate.Length(max=40), metadata={
        "format": "date-time", "description": "ISO 8601 with an offset, e.g. 2024-05-10T09:30:00+08:00"})
    caller_phone = fields.String(validate=validate.Length(max=20))
    notify_caller = fields.Boolean(metadata={"description": "the caller agreed to SMS notices (needs caller_phone)"})


class IncidentReceiptSchema(Schema):
    incident_id = fields.String()
    police_matter = fields.Boolean(metadata={"description": "police business: recorded, not diverted"})
    case_id = fields.Integer(allow_none=True, metadata={"description": "the diversion case of a non-police matter"})


@blp.route("/110", methods=["POST"])
@blp.arguments(IncidentPushSchema)
@blp.response(201, IncidentReceiptSchema, description="taken now")
@blp.alt_response(200, schema=IncidentReceiptSchema, description="taken before: the first receipt's answer")
def push_110(body):
    """Take an incident from the 110 dispatch system (signed; see docs/integrations.md)."""
    result = take_incident(source=SOURCE, external_id=body["incident_id"], data=body, username=acting_username())
    return result, 201 if result.created else 200

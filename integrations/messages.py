"""What a delivery message says and to whom: a notice on a channel, or a text addressed directly."""

from dataclasses import dataclass

from engine.channels import delivery
from engine.outbox import Message
from processes.notice_templates import subject


@dataclass(frozen=True)
class Outgoing:
    to: str
    subject: str
    text: str


def outgoing(message: Message) -> Outgoing:
    """The recipient and text of an sms or email message (a notice on a channel, or {to, text})."""
    payload = message.payload
    if "to" in payload:
        return Outgoing(payload["to"], payload.get("subject") or subject(""), payload["text"])
    notice, channel = delivery(payload["notice_id"], payload["channel_id"])
    return Outgoing(channel["address"], subject(notice["kind"]), notice["message"])

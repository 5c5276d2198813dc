"""Deliver one outbox message by its topic's handler, and record what happened."""

import logging
from collections.abc import Callable

from engine import outbox
from engine.db import utcnow
from integrations.mail import deliver_email
from integrations.sms import deliver_sms
from integrations.webhooks import deliver_webhook

log = logging.getLogger(__name__)

HANDLERS: dict[str, Callable[[outbox.Message], None]] = {
    "webhook": deliver_webhook, "email": deliver_email, "sms": deliver_sms}


def deliver(message_id: int) -> str:
    """Deliver a due message; return what became of it: sent, pending (to retry), dead or skipped."""
    message = outbox.claim(message_id, now=utcnow())
    if message is None:  # not due, taken by another worker, or already done
        return "skipped"
    handler = HANDLERS.get(message.topic)
    try:
        if handler is None:
            raise LookupError(f"no handler delivers {message.topic!r} messages")
        handler(message)
    except Exception as error:  # any failure is recorded on the message and retried later
        status = outbox.mark_failed(message, error=f"{type(error).__name__}: {error}", now=utcnow())
        log.warning("outbox message %s (%s) failed, now %s: %s", message.id, message.topic, status, error)
        return status
    outbox.mark_sent(message, now=utcnow())
    return "sent"

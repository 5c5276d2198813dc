"""SMS through an HTTP gateway: POST {"to", "text", "id"} as JSON to GONGZHI_SMS_GATEWAY_URL, with
`Authorization: Bearer GONGZHI_SMS_GATEWAY_TOKEN` when set. `id` is the same on every attempt, so a
gateway that remembers it sends a retried message once."""

import os

import httpx

from engine.outbox import Message
from integrations.messages import outgoing

TIMEOUT_SECONDS = 10.0
_CLIENT = httpx.Client(timeout=TIMEOUT_SECONDS)  # shared by the worker's threads (see integrations/webhooks.py)


def deliver_sms(message: Message) -> None:
    """Hand the text to the SMS gateway; raise on anything but a 2xx answer (the outbox retries)."""
    url = os.environ.get("GONGZHI_SMS_GATEWAY_URL")
    if not url:
        raise RuntimeError("GONGZHI_SMS_GATEWAY_URL is not set: SMS cannot be sent")
    out = outgoing(message)
    token = os.environ.get("GONGZHI_SMS_GATEWAY_TOKEN")
    response = _CLIENT.post(url, json={"to": out.to, "text": out.text, "id": message.dedupe_key},
                            headers={"Authorization": f"Bearer {token}"} if token else {})
    if not response.is_success:
        raise RuntimeError(f"SMS gateway answered HTTP {response.status_code}: {response.text[:200]}")

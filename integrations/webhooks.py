"""Signed webhooks to partner agencies' systems.

The body is JSON. `X-Gongzhi-Signature` is `sha256=` and the hex HMAC-SHA256 of `{timestamp}.{body}`
under the channel's secret, with the timestamp (Unix seconds) in `X-Gongzhi-Timestamp`, so a receiver
can refuse old or replayed calls. `Idempotency-Key` is the same on every attempt of one delivery: a
receiver that remembers it acts once however often a retry reaches it.
"""

import json
import time

import httpx

from engine.channels import delivery
from engine.outbox import Message
from engine.signing import signature

TIMEOUT_SECONDS = 10.0
# One client per process, shared by the worker's threads: httpx.post would build a new client (and TLS context,
# ~25 ms of CPU) for every delivery.
_CLIENT = httpx.Client(timeout=TIMEOUT_SECONDS)


def deliver_webhook(message: Message) -> None:
    """POST the notice to the channel's address; raise on anything but a 2xx answer."""
    notice, channel = delivery(message.payload["notice_id"], message.payload["channel_id"])
    body = json.dumps({
        "event": "notice", "id": notice["id"], "kind": notice["kind"], "message": notice["message"],
        "case_id": notice["case_id"], "task_id": notice["task_id"],
        "created_at": notice["created_at"].isoformat(),
    }, ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    response = _CLIENT.post(channel["address"], content=body, headers={
        "Content-Type": "application/json; charset=utf-8",
        "X-Gongzhi-Timestamp": timestamp,
        "X-Gongzhi-Signature": signature(channel["secret"] or "", timestamp, body),
        "Idempotency-Key": message.dedupe_key,
    })
    if not response.is_success:
        raise RuntimeError(f"webhook answered HTTP {response.status_code}: {response.text[:200]}")

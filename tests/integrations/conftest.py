"""Shared fixtures of the integration tests: a partner's webhook receiver, and a worker in this process."""

import hashlib
import hmac
import json
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker

from engine import outbox
from integrations import setup_background

SECRET = "partner-shared-secret-0123456789"


@contextmanager
def running_worker(app, broker_url: str | None):
    """The actors on a queue of this test's own, and a dramatiq worker running them in threads of this process."""
    broker, actors = setup_background(app, broker_url=broker_url, queue_name=f"test-{uuid.uuid4().hex[:12]}")
    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    worker.start()
    try:
        yield broker, actors, worker
    finally:
        worker.stop()
        broker.close()
        outbox.on_enqueued(None)
        dramatiq.set_broker(StubBroker())


@dataclass
class Receiver:
    """Records every call; answers each with the next status of `answers` (then 200), after `delay` s."""

    url: str = ""
    calls: list[dict] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keys(self) -> list[str]:
        return [call["headers"]["Idempotency-Key"] for call in self.calls]

    def verified(self, call: dict) -> bool:
        expected = hmac.new(SECRET.encode(), call["headers"]["X-Gongzhi-Timestamp"].encode() + b"." + call["body"],
                            hashlib.sha256).hexdigest()
        return hmac.compare_digest(call["headers"]["X-Gongzhi-Signature"], "sha256=" + expected)


@pytest.fixture
def receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with state.lock:
                status = state.answers.pop(0) if state.answers else 200
                delay = state.delay
                state.calls.append({"headers": dict(self.headers), "body": body, "json": json.loads(body),
                                    "status": status})
            time.sleep(delay)  # a slow partner, so a worker can be caught in the middle of a delivery
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/gongzhi"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()

"""A partner system's webhook receiver on localhost, for the delivery tests."""

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

SECRET = "partner-shared-secret-0123456789"


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

"""Prometheus metrics of the background jobs: runs and failures by actor, durations, outbox deliveries.

A dramatiq middleware counts every job a worker runs. `gongzhi worker` starts several worker processes,
so they write their counts to PROMETHEUS_MULTIPROC_DIR, and one extra process that dramatiq forks beside
them (the middleware's `forks`) serves the sum at http://GONGZHI_WORKER_METRICS_HOST:GONGZHI_WORKER_METRICS_PORT/
(host 127.0.0.1 unless set). We use our own middleware rather than dramatiq's Prometheus one: that one
only sets itself up in processes the dramatiq command line boots (not in `gongzhi serve`'s in-process
worker or in tests), reads its settings from lower-case variables of its own, and names the metrics
after dramatiq rather than after what an operator of this platform watches.
"""

import logging
import os
import threading
import time

import dramatiq
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

log = logging.getLogger(__name__)

JOBS = Counter("gongzhi_jobs", "Background jobs run, by actor and outcome (succeeded, failed, skipped).",
               ["actor", "outcome"])
JOB_SECONDS = Histogram("gongzhi_job_duration_seconds", "Time a background job took, by actor.", ["actor"],
                        buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300))
DELIVERIES = Counter("gongzhi_outbox_deliveries", "Outbox delivery attempts, by what became of the message: "
                     "sent, pending (to be retried), dead (given up), skipped (not due or taken).", ["outcome"])


def worker_metrics_address() -> tuple[str, int] | None:
    """(host, port) from GONGZHI_WORKER_METRICS_HOST/PORT; None when no port is set."""
    port = os.environ.get("GONGZHI_WORKER_METRICS_PORT", "").strip()
    if not port:
        return None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"GONGZHI_WORKER_METRICS_PORT={port!r} is not a TCP port: use a number such as 9191")
    return os.environ.get("GONGZHI_WORKER_METRICS_HOST") or "127.0.0.1", int(port)


class JobMetrics(dramatiq.Middleware):
    """Count each job by actor and outcome, and time it."""

    def __init__(self):
        self._started = threading.local()

    @property
    def forks(self):
        # Only the dramatiq command line runs forks: one server for all of its worker processes.
        if worker_metrics_address() and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            return [serve_worker_metrics]
        return []

    def before_process_message(self, broker, message):
        self._started.value = time.perf_counter()

    def after_process_message(self, broker, message, *, result=None, exception=None):
        started = getattr(self._started, "value", None)
        if started is not None:
            JOB_SECONDS.labels(message.actor_name).observe(time.perf_counter() - started)
            self._started.value = None
        JOBS.labels(message.actor_name, "failed" if exception is not None else "succeeded").inc()

    def after_skip_message(self, broker, message):
        self._started.value = None
        JOBS.labels(message.actor_name, "skipped").inc()


def serve_worker_metrics() -> None:
    """Serve the summed metrics of this machine's worker processes until stopped (a dramatiq fork)."""
    host, port = worker_metrics_address()
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    _server, thread = start_http_server(port, addr=host, registry=registry)
    log.info("worker metrics at http://%s:%d/metrics", host, port)
    thread.join()

"""Prometheus metrics at /metrics: request latency, and the waiting work read from the database.

The latency histogram is labelled by Flask endpoint (never by raw path), method and status, so the number
of series stays bounded. Under gunicorn with several workers, prometheus_client's multiprocess mode
(PROMETHEUS_MULTIPROC_DIR, set up by web/gunicorn_conf.py) sums every worker's counts in each answer. The
backlog gauges are read from the database when Prometheus scrapes (engine/backlog.py), so they are the
same whichever process answers. No label carries personal data. With GONGZHI_METRICS_TOKEN set, /metrics
wants `Authorization: Bearer <token>`.
"""

import hmac
import os
import time

from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.exc import SQLAlchemyError

from engine.backlog import backlog
from engine.db import utcnow

# prometheus_client chose its storage on import by the same test: keep to its choice.
MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR" in os.environ
_STARTED = "gongzhi.metrics_started"

REQUEST_SECONDS = Histogram(
    "gongzhi_http_request_duration_seconds", "Time to answer an HTTP request, by Flask endpoint, method and status.",
    ["endpoint", "method", "status"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))

metrics = Blueprint("metrics", __name__)


class BacklogCollector:
    """Gauges of the waiting work, counted in the database at each scrape."""

    def collect(self):
        up = GaugeMetricFamily("gongzhi_database_up", "1 when the database answered the backlog queries.")
        try:
            figures = backlog(now=utcnow())
        except SQLAlchemyError:
            current_app.logger.exception("metrics: the backlog queries failed")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        tasks = GaugeMetricFamily("gongzhi_tasks_active", "Open and claimed tasks, by status.", labels=["status"])
        for status, count in figures.active_tasks.items():
            tasks.add_metric([status], count)
        yield tasks
        yield GaugeMetricFamily("gongzhi_tasks_overdue", "Open and claimed tasks whose deadline has passed.",
                                value=figures.overdue_tasks)
        outbox = GaugeMetricFamily("gongzhi_outbox_messages", "Outbox messages waiting for delivery (pending) or "
                                   "given up after every attempt (dead).", labels=["status"])
        for status, count in figures.outbox.items():
            outbox.add_metric([status], count)
        yield outbox
        yield GaugeMetricFamily("gongzhi_outbox_lag_seconds", "How long the longest-waiting due outbox message has "
                                "been due (0 when the workers keep up).", value=figures.outbox_lag_seconds)
        yield GaugeMetricFamily("gongzhi_case_timers_due", "Running cases whose timer is due and not yet fired.",
                                value=figures.timers_due)


class _ProcessRegistry:
    """This process's own metrics (single-process mode)."""

    def collect(self):
        return REGISTRY.collect()


def init_metrics(app: Flask) -> None:
    """Time every request and serve /metrics."""
    app.before_request(_start_timer)
    app.after_request(_observe)
    app.register_blueprint(metrics)


def _start_timer() -> None:
    request.environ[_STARTED] = time.perf_counter()


def _observe(response):
    started = request.environ.get(_STARTED)
    if started is not None:
        REQUEST_SECONDS.labels(request.endpoint or "none", request.method, str(response.status_code)).observe(
            time.perf_counter() - started)
    return response


def _token() -> str | None:
    return current_app.config.get("METRICS_TOKEN") or os.environ.get("GONGZHI_METRICS_TOKEN") or None


@metrics.get("/metrics")
def exposition():
    token = _token()
    if token is not None:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            return Response("send Authorization: Bearer <GONGZHI_METRICS_TOKEN>\n", 401,
                            {"WWW-Authenticate": 'Bearer realm="metrics"', "Content-Type": "text/plain"})
    registry = CollectorRegistry(auto_describe=False)
    if MULTIPROCESS:
        MultiProcessCollector(registry)
    else:
        registry.register(_ProcessRegistry())
    registry.register(BacklogCollector())
    return Response(generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST})

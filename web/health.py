"""Liveness, readiness and the home page.

/health (liveness) says whether the process answers and reaches its database. /ready (readiness) is
what a load balancer asks before sending traffic: 200 only when the database answers, its schema is at
the code's migration head and, when the platform has a broker, the broker answers; else 503 naming what
is not ready. Both answer without logging in and show no personal data.
"""

from collections.abc import Callable

from flask import Blueprint, Flask, current_app, jsonify, render_template
from sqlalchemy.exc import SQLAlchemyError

from engine.schema_version import schema_version
from engine.status import platform_status

health = Blueprint("health", __name__)
_CHECKS = "gongzhi.readiness_checks"


def add_readiness_check(app: Flask, name: str, check: Callable[[], str | None]) -> None:
    """Make /ready also ask `check()`: None when ready, else what is wrong (a composition root wires these)."""
    app.extensions.setdefault(_CHECKS, {})[name] = check


@health.get("/health")
def health_json():
    try:
        status = platform_status()
    except SQLAlchemyError as error:
        return jsonify(status="error", database="unreachable", detail=str(error.orig)), 503
    return jsonify(status="ok", database="ok", **status)


def _database_checks() -> dict[str, str]:
    try:
        problem = schema_version().problem
    except SQLAlchemyError as error:
        return {"database": f"unreachable: {error.orig}", "schema": "unknown: the database is unreachable"}
    return {"database": "ok", "schema": problem or "ok"}


@health.get("/ready")
def ready():
    checks = _database_checks()
    for name, check in current_app.extensions.get(_CHECKS, {}).items():
        try:
            checks[name] = check() or "ok"
        except Exception as error:  # a failing check is an answer: not ready, and why
            checks[name] = f"{type(error).__name__}: {error}"
    not_ready = [name for name, result in checks.items() if result != "ok"]
    if not_ready:
        return jsonify(status="not ready", not_ready=not_ready, checks=checks), 503
    return jsonify(status="ready", checks=checks)


@health.get("/")
def home():
    try:
        status = platform_status()
    except SQLAlchemyError:
        status = None
    return render_template("home.html", status=status), 200 if status else 503

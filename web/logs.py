"""Logging for every process (web, worker, scheduler): plain text, or one JSON object a line.

GONGZHI_LOG_FORMAT=json makes every record one JSON line with `time`, `level`, `logger`, `message` and
`process`, plus the record's extra fields. Records logged while a request is served also carry its
`request_id`. Each request ends with one access line (logger `gongzhi.access`): method, path, route,
status, duration_ms, user and request id. The request id is the caller's X-Request-ID when it is a
sensible token (a load balancer's, say), else a fresh one; the response echoes it in X-Request-ID.
"""

import logging
import logging.config
import os
import re
import secrets
import time

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.orjson import OrjsonFormatter

FORMATS = ("text", "json")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = "gongzhi.request_id"
_STARTED = "gongzhi.started"
_AUTH = "gongzhi.auth"  # where web.auth keeps who a request was authenticated as
_SENSIBLE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"
access_log = logging.getLogger("gongzhi.access")


class LoggingConfigError(ValueError):
    pass


def _setting(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = (os.environ.get(name) or default).strip()
    if value.upper() in choices:
        return value.upper()
    if value.lower() in choices:
        return value.lower()
    raise LoggingConfigError(f"{name}={value!r} is not understood: use one of {', '.join(choices)}")


def log_format() -> str:
    """GONGZHI_LOG_FORMAT: text (the default) or json."""
    return _setting("GONGZHI_LOG_FORMAT", "text", FORMATS)


def log_level() -> str:
    """GONGZHI_LOG_LEVEL: DEBUG, INFO (the default), WARNING or ERROR."""
    return _setting("GONGZHI_LOG_LEVEL", "INFO", LEVELS)


class RequestIdFilter(logging.Filter):
    """Stamp a record logged while serving a request with the request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id") and has_request_context():
            record.request_id = request.environ.get(_REQUEST_ID)
        return True


def make_formatter(kind: str) -> logging.Formatter:
    """The formatter of a log format: one JSON object a line, or a plain text line."""
    if kind == "json":
        # orjson: twice as fast as the json module here, and Chinese stays readable (UTF-8, never \u escapes).
        return OrjsonFormatter(["levelname", "name", "message", "process"], timestamp="time",
                               rename_fields={"levelname": "level", "name": "logger"})
    return logging.Formatter(TEXT_FORMAT)


def logging_config(fmt: str | None = None, level: str | None = None) -> dict:
    """The dictConfig for `fmt` (default GONGZHI_LOG_FORMAT): everything to stderr through the root logger.

    gunicorn's own loggers hand their records to the root, so its messages come out in the same format.
    """
    level = level or log_level()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"gongzhi": {"()": make_formatter, "kind": fmt or log_format()}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                                "formatter": "gongzhi", "filters": ["request_id"]}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            # The platform writes its own access line, with the route, the user and the request id.
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
            # The development server's request lines would repeat the access line.
            "werkzeug": {"level": "WARNING", "handlers": [], "propagate": True},
            "pika": {"level": "WARNING", "handlers": [], "propagate": True},
            # /ready reads the migration head: alembic's notes on each probe would drown the log.
            "alembic": {"level": "WARNING", "handlers": [], "propagate": True},
        },
    }


def configure_logging(fmt: str | None = None, level: str | None = None) -> None:
    """Send this process's logs to stderr in the configured format (replacing any handler set before)."""
    logging.config.dictConfig(logging_config(fmt, level))


def init_request_logging(app: Flask) -> None:
    """Give every request an id, echo it, and log one access line when the response is ready."""
    app.before_request(_start_request)
    app.after_request(_log_request)


def _start_request() -> None:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    request.environ[_REQUEST_ID] = given if _SENSIBLE_ID.fullmatch(given) else secrets.token_hex(16)
    request.environ[_STARTED] = time.perf_counter()


def _log_request(response):
    started = request.environ.get(_STARTED)
    rid = request.environ.get(_REQUEST_ID)
    if rid:
        response.headers[REQUEST_ID_HEADER] = rid
    if started is None or not access_log.isEnabledFor(logging.INFO):
        return response
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    rule = request.url_rule.rule if request.url_rule is not None else None
    # A link that is itself a credential (a survey's) is logged as its route, never as itself.
    path = rule if rule and "token" in (request.view_args or {}) else request.path
    access_log.info("%s %s %s %.1fms", request.method, path, response.status_code, duration_ms, extra={
        "method": request.method, "path": path, "route": rule, "status": response.status_code,
        "duration_ms": duration_ms, "user": _username(), "remote_addr": request.remote_addr, "request_id": rid})
    return response


def _username() -> str | None:
    # Only who the request was already found to be: logging never costs a database query.
    authenticated = request.environ.get(_AUTH)
    if authenticated:
        return authenticated[0]
    user = g.get("_login_user")
    return getattr(user, "username", None) if user is not None and user.is_authenticated else None

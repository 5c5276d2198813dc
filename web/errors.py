"""One place that turns errors into responses: problem+json (RFC 9457) for the API, a page otherwise."""

import logging

from flask import Flask, Response, json, render_template, request
from werkzeug.exceptions import HTTPException

from engine.errors import (
    ConflictError,
    DeployError,
    EngineError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    ProcessError,
)

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
STATUS = {NotFoundError: 404, PermissionDeniedError: 403, ConflictError: 409, InvalidInputError: 422,
          DeployError: 422, ProcessError: 422}
TITLES = {400: "Bad request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 409: "Conflict", 415: "Unsupported media type", 422: "Invalid input",
          429: "Too many requests", 500: "Internal server error"}


def wants_problem_json() -> bool:
    return request.path.startswith("/api/")


def problem(status: int, detail: str, *, errors: dict | None = None, extra: dict | None = None,
            headers: dict | None = None) -> Response:
    """Build an application/problem+json response."""
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    return response


def _field_errors(messages) -> dict[str, list[str]]:
    """Flatten webargs/marshmallow messages ({"json": {"field": ["..."]}}) to {"field": ["..."]}."""
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        else:
            flat.setdefault(prefix, []).extend(value if isinstance(value, list) else [str(value)])

    for location_messages in (messages or {}).values():
        walk("", location_messages)
    return flat


def http_error_response(error: HTTPException) -> Response:
    if not wants_problem_json():
        return error.get_response()
    if error.code == 500:
        log.error("internal error on %s %s", request.method, request.path, exc_info=error.original_exception
                  if hasattr(error, "original_exception") else None)
        return problem(500, "an unexpected error occurred; it has been logged")
    data = getattr(error, "data", None) or {}
    # Keep what the error says about itself (WWW-Authenticate on a 401, Retry-After on a 429).
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    errors = _field_errors(data.get("messages"))
    detail = data.get("message") or error.description or TITLES.get(error.code, "Error")
    if errors:
        detail = "the request has invalid fields: " + "; ".join(f"{f or 'body'}: {' '.join(m)}"
                                                                 for f, m in errors.items())
    return problem(error.code or 500, detail, errors=errors, headers=headers)


def engine_error_response(error: EngineError) -> Response:
    status = next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)
    if wants_problem_json():
        details = error.details or {}
        errors = {field: problems for field, problems in details.items() if isinstance(problems, list)}
        extra = {key: value for key, value in details.items() if not isinstance(value, list)}
        return problem(status, error.message, errors=errors or None, extra=extra or None)
    page = render_template("message.html", title=f"出错了（{status}）", message=error.message, back_url="/",
                           back_label="返回首页")
    return Response(page, status=status)


def init_errors(app: Flask) -> None:
    app.register_error_handler(EngineError, engine_error_response)
    app.register_error_handler(HTTPException, http_error_response)

"""One place that turns errors into responses: problem+json (RFC 9457) for the API, a page otherwise.

A page gets a message in the page's language (and the engine's own words as a detail); an htmx request
gets the message alone, swapped into the page's #alerts region.
"""

import logging

from flask import Flask, Response, json, render_template, request
from flask_babel import lazy_gettext as _l
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
PAGE_TITLES = {400: _l("The request cannot be handled"), 403: _l("Not allowed"), 404: _l("Not found"),
               405: _l("Not allowed here"), 409: _l("Someone else was quicker"), 422: _l("Please check the input"),
               429: _l("Too many requests"), 500: _l("Something went wrong")}
PAGE_MESSAGES = {
    400: _l("The address or the form has a value the platform cannot use."),
    403: _l("Your agency or role does not allow this."),
    404: _l("This page, case or task does not exist, or you may not see it."),
    405: _l("This address does not take that kind of request."),
    409: _l("Someone else changed this case or task at the same time: reload the page and try again."),
    422: _l("The input is not valid."),
    429: _l("Too many requests: wait a minute and try again."),
    500: _l("An unexpected error occurred; it has been logged. Try again later."),
}


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


def page_error(status: int, detail: str | None = None) -> Response:
    """A readable error page (or, for htmx, an alert for #alerts) in the page's language."""
    title, message = PAGE_TITLES.get(status, PAGE_TITLES[400]), PAGE_MESSAGES.get(status, PAGE_MESSAGES[400])
    if request.headers.get("HX-Request") == "true":
        body = render_template("_alert.html", message=message, detail=detail)
        return Response(body, status=status, headers={"HX-Retarget": "#alerts", "HX-Reswap": "innerHTML"})
    body = render_template("message.html", title=f"{title} ({status})", message=message, detail=detail,
                           back_url="/", back_label=_l("Back to the home page"))
    return Response(body, status=status)


def http_error_response(error: HTTPException) -> Response:
    if not wants_problem_json():
        if error.code is None or error.code < 400:
            return error.get_response()
        if error.code == 500:
            log.error("internal error on %s %s", request.method, request.path,
                      exc_info=getattr(error, "original_exception", None))
        # Werkzeug's stock English descriptions say nothing the page does not; a description of our own does.
        own = error.description if error.description != type(error).description else None
        return page_error(error.code, own)
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
    return page_error(status, error.message)


def init_errors(app: Flask) -> None:
    app.register_error_handler(EngineError, engine_error_response)
    app.register_error_handler(HTTPException, http_error_response)

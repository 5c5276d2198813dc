"""Open311 GeoReport v2 under /open311/v2: services are the diversion categories, requests are cases.

Every endpoint answers in the format its path ends with (.json or .xml), errors included: HTTP 4xx with
a list of {code, description}. Reading is public, as the standard has it; posting a request needs
api_key, an API token, which acts as its user (an integration user of the citizen app or city system).
"""

import re
from dataclasses import asdict
from datetime import datetime

from flask import Blueprint, request
from werkzeug.exceptions import HTTPException

from engine.calendar import platform_zone
from engine.errors import (
    ConflictError,
    EngineError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    ProcessError,
)
from engine.incidents import parse_time
from engine.service_requests import (
    CONTACT_FIELDS,
    get_service_request,
    list_service_requests,
    request_for_token,
    submit_service_request,
)
from engine.services_catalogue import get_service, list_services
from engine.tokens import authenticate_token
from web.auth import csrf
from web.open311.formats import FORMATS, errors, render

open311 = Blueprint("open311", __name__, url_prefix="/open311/v2")
csrf.exempt(open311)  # posted by other systems with api_key, never by a browser form of ours

FMT = "<any(json,xml):fmt>"
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
STATUS = {InvalidInputError: 400, PermissionDeniedError: 403, NotFoundError: 404, ConflictError: 409,
          ProcessError: 422}
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Open311Error(Exception):
    def __init__(self, status: int, *descriptions: str):
        super().__init__(descriptions)
        self.status, self.descriptions = status, descriptions


def _fmt() -> str:
    fmt = (request.view_args or {}).get("fmt") or request.path.rsplit(".", 1)[-1]
    return fmt if fmt in FORMATS else "json"


@open311.errorhandler(Open311Error)
def _open311_error(error: Open311Error):
    return errors(_fmt(), error.status, *error.descriptions)


@open311.errorhandler(EngineError)
def _engine_error(error: EngineError):
    status = next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)
    details = [f"{field}: {' '.join(problems)}" for field, problems in (error.details or {}).items()
               if isinstance(problems, list)]
    return errors(_fmt(), status, *(details or [error.message]))


@open311.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return errors(_fmt(), error.code or 400, error.description or error.name)


def _only(*methods: str) -> None:
    if request.method not in methods:
        raise Open311Error(405, f"{request.method} is not supported here; use {' or '.join(methods)}")


def _service_dict(service) -> dict:
    return {"service_code": service.code, "service_name": service.name, "description": service.description,
            "metadata": bool(service.attributes), "type": "realtime", "keywords": service.keywords,
            "group": service.group}


@open311.route(f"/services.{FMT}", methods=ALL_METHODS)
def services(fmt):
    """GET Service List."""
    _only("GET")
    return render(fmt, [_service_dict(service) for service in list_services()], root="services", item="service")


@open311.route(f"/services/<code>.{FMT}", methods=ALL_METHODS)
def service_definition(code, fmt):
    """GET Service Definition: the service's attributes."""
    _only("GET")
    service = get_service(code)
    attributes = [{**asdict(attribute), "values": [asdict(value) for value in attribute.values]}
                  for attribute in service.attributes]
    return render(fmt, {"service_code": service.code, "attributes": attributes}, root="service_definition",
                  item_names={"attributes": "attribute", "values": "value"})


def _params() -> dict:
    """The request's parameters: form fields (the standard) or a JSON object."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise Open311Error(400, "the body must be a JSON object, or form fields "
                                    "(application/x-www-form-urlencoded)")
        return {key: value if isinstance(value, str | int | float) or value is None or key == "attribute"
                else str(value) for key, value in body.items()}
    return {key: value for key, value in request.values.items()}


def _attributes(params: dict) -> dict[str, str]:
    found = {}
    for key, value in params.items():
        match = _ATTRIBUTE.match(key)
        if match:
            found[match.group(1)] = value
    attribute = params.get("attribute")
    if isinstance(attribute, dict):  # a JSON body: {"attribute": {"reported_at": "..."}}
        found.update({str(key): value if isinstance(value, str) else str(value) for key, value in attribute.items()})
    return found


@open311.route(f"/requests.{FMT}", methods=ALL_METHODS)
def requests(fmt):
    """GET Service Requests (filtered), or POST a Service Request (api_key required)."""
    _only("GET", "POST")
    if request.method == "GET":
        return _list(fmt)
    params = _params()
    api_key = str(params.get("api_key") or "").strip()
    username = authenticate_token(api_key) if api_key else None
    if username is None:
        raise Open311Error(403, "api_key was not provided or is not a valid API token (gz_...): ask the platform's "
                                "administrator for one")
    description = params.get("description")
    if description is not None and len(str(description)) > 4000:
        raise Open311Error(400, "description: at most 4000 characters")
    receipt = submit_service_request(
        service_code=params.get("service_code"), description=str(description or ""),
        address_id=params.get("address_id"), address_string=params.get("address_string"), lat=params.get("lat"),
        long=params.get("long"), attributes=_attributes(params),
        contact={name: str(params[name]) for name in CONTACT_FIELDS if params.get(name)}, username=username)
    # service_request_id at once (the case is started in the same command); the token as well, for clients
    # that expect one. A request that is police business gets no case, hence only the token.
    item = {"service_request_id": receipt.service_request_id, "token": receipt.token,
            "service_notice": receipt.service_notice, "account_id": receipt.account_id}
    return render(fmt, [item], root="service_requests", item="request", status=201)


def _time(name: str) -> datetime | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if _DATE.match(value):
        try:
            return datetime.fromisoformat(value).replace(tzinfo=platform_zone())
        except ValueError:
            raise Open311Error(400, f"{name}: {value!r} is not a real date") from None
    try:
        return parse_time(value)
    except ValueError as error:
        raise Open311Error(400, f"{name}: {error}") from None


def _listed(name: str) -> list[str]:
    return [part.strip() for part in request.args.get(name, "").split(",") if part.strip()]


def _list(fmt: str):
    start, end = _time("start_date"), _time("end_date")
    if start is not None and end is not None and end < start:
        raise Open311Error(400, "end_date is before start_date")
    found = list_service_requests(ids=_listed("service_request_id"), service_codes=_listed("service_code"),
                                  start=start, end=end, statuses=_listed("status"))
    return _render_requests(fmt, found)


def _render_requests(fmt: str, found) -> object:
    items = []
    for view in found:
        item = asdict(view)
        item.pop("token")
        items.append(item)
    return render(fmt, items, root="service_requests", item="request")


@open311.route(f"/requests/<request_id>.{FMT}", methods=ALL_METHODS)
def service_request(request_id, fmt):
    """GET Service Request: one request, as a list of one."""
    _only("GET")
    return _render_requests(fmt, [get_service_request(request_id)])


@open311.route(f"/tokens/<token>.{FMT}", methods=ALL_METHODS)
def token(token, fmt):
    """GET service_request_id from a token."""
    _only("GET")
    token, request_id = request_for_token(token)
    return render(fmt, [{"service_request_id": request_id, "token": token}], root="service_requests",
                  item="request")


@open311.route("/", methods=ALL_METHODS, defaults={"anything": ""})
@open311.route("/<path:anything>", methods=ALL_METHODS)
def unknown(anything):
    """Anything else under /open311/v2: a 404 in the standard's error format."""
    raise Open311Error(404, f"/open311/v2/{anything} is not an Open311 GeoReport v2 endpoint here: use services, "
                            "services/{service_code}, requests, requests/{service_request_id} or tokens/{token}, "
                            "each ending in .json or .xml")

"""Service requests (Open311): a citizen's request is an incident from source 'open311' and its diversion case.

A request is known publicly by its case id (service_request_id) and, from the moment it is posted, by
a token. Its status follows the case (running: open; anything else: closed), its notes the case's latest
public event, the agency responsible and the expected time its current task. Contact details are kept
in the incident's payload and never shown.
"""

import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select

from engine.case_store import CASE, TASK
from engine.db import db, utcnow
from engine.errors import InvalidInputError, NotFoundError
from engine.incidents import INCIDENT, take_incident
from engine.models import ACTIVE_TASK_STATUSES, AuditEvent
from engine.org import AGENCY, LOCATION_LEVELS
from engine.services_catalogue import get_service, list_services

SOURCE = "open311"
DEFAULT_SPAN = timedelta(days=90)
MAX_RESULTS = 1000
STATUSES = ("open", "closed")
CONTACT_FIELDS = ("email", "first_name", "last_name", "phone", "device_id", "account_id", "media_url")
# The events a citizen may read about, and what they are told.
PUBLIC_NOTES = {
    "case_started": "已受理",
    "task_created": "已转交{agency}办理",
    "claimed": "{agency}已签收",
    "returned": "已退回，重新分派",
    "reassigned": "已改派{agency}办理",
    "case_completed": "已办结",
}
# The start form's names for what a request calls otherwise.
_REQUEST_NAMES = {"category": "service_code", "location": "address_id", "caller_phone": "phone"}
_AUDIT = AuditEvent.__table__
_LOCATION = AGENCY.alias("location")


@dataclass(frozen=True)
class ServiceRequestReceipt:
    token: str
    service_request_id: str | None  # None when the request was not diverted (police business)
    service_notice: str
    account_id: str | None


@dataclass(frozen=True)
class ServiceRequestView:
    service_request_id: str
    token: str
    status: str
    status_notes: str | None
    service_name: str
    service_code: str
    description: str
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: datetime
    updated_datetime: datetime
    expected_datetime: datetime | None
    address: str
    address_id: str
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


def _invalid(field: str, problem: str) -> InvalidInputError:
    return InvalidInputError(f"{field}: {problem}", details={field: [problem]})


def _location_code(address_id: str | None, address_string: str | None, lat, long) -> str:
    if address_id:
        return address_id
    if address_string:
        row = db.session.execute(
            select(AGENCY.c.code).where(or_(AGENCY.c.code == address_string.strip(),
                                            AGENCY.c.name == address_string.strip()),
                                        AGENCY.c.level.in_(LOCATION_LEVELS)).order_by(AGENCY.c.id).limit(1)).first()
        if row is None:
            raise _invalid("address_string", f"{address_string!r} is not the name or code of a grid or community; "
                                             "send address_id with the grid's code")
        return row.code
    if lat is not None or long is not None:
        raise _invalid("address_id", "lat/long alone cannot be placed in a grid here: send address_id (the grid "
                                     "or community code) or address_string (its name)")
    raise _invalid("address_id", "required: send address_id (grid or community code), or address_string")


def _coordinate(name: str, value, limit: float) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _invalid(name, f"{value!r} is not a number (decimal degrees, WGS84)") from None
    if not math.isfinite(number) or abs(number) > limit:
        raise _invalid(name, f"{value!r} is out of range (-{limit:g} to {limit:g})")
    return number


def submit_service_request(*, service_code: str | None, description: str | None, address_id: str | None = None,
                           address_string: str | None = None, lat=None, long=None,
                           attributes: dict[str, str] | None = None, contact: dict[str, str] | None = None,
                           username: str | None = None) -> ServiceRequestReceipt:
    """Take a citizen's request: validate it as Open311 names things, then take it as an incident.

    Raises InvalidInputError with the problems by Open311 field name (service_code, address_id,
    attribute[reported_at], ...).
    """
    if not service_code:
        raise _invalid("service_code", "required: one of the codes GET services lists")
    try:
        service = get_service(service_code)
    except NotFoundError as error:
        raise _invalid("service_code", error.message) from None
    lat, long = _coordinate("lat", lat, 90), _coordinate("long", long, 180)
    location = _location_code(address_id, address_string, lat, long)
    attributes = {code: value for code, value in (attributes or {}).items() if value not in (None, "")}
    known = {attribute.code for attribute in service.attributes}
    for code in attributes:
        if code not in known:
            raise _invalid(f"attribute[{code}]", f"not an attribute of {service.code}; its attributes are "
                                                 f"{', '.join(sorted(known)) or 'none'}")
    for attribute in service.attributes:
        if attribute.required and attribute.code not in attributes:
            raise _invalid(f"attribute[{attribute.code}]", "required")
    contact = {name: value for name, value in (contact or {}).items() if name in CONTACT_FIELDS and value}
    phone = (contact.pop("phone", None) or "").strip() or None
    data = {"category": service.code, "location": location, "description": (description or "").strip(),
            **attributes, **contact, "lat": lat, "long": long, "address_string": address_string or None}
    if phone:
        data["caller_phone"] = phone
    token = secrets.token_urlsafe(16)
    try:
        result = take_incident(source=SOURCE, external_id=token,
                               data={key: value for key, value in data.items() if value is not None},
                               username=username)
    except InvalidInputError as error:
        details = {(_REQUEST_NAMES.get(field) or (f"attribute[{field}]" if field in known else field)): problems
                   for field, problems in error.details.items()}
        raise InvalidInputError(error.message, details=details) from None
    notice = ("已受理，转交相关单位办理；凭 service_request_id 或 token 查询进度" if result.case_id is not None else
              "已登记；此事项属警务类，请拨打 110")
    return ServiceRequestReceipt(token, str(result.case_id) if result.case_id is not None else None, notice,
                                 contact.get("account_id"))


def request_for_token(token: str) -> tuple[str, str | None]:
    """Return (token, service_request_id) of a posted request; NotFoundError for an unknown token."""
    row = db.session.execute(select(INCIDENT.c.case_id).where(
        INCIDENT.c.source == SOURCE, INCIDENT.c.external_id == token)).first()
    if row is None:
        raise NotFoundError(f"token {token!r} was not issued for a request here")
    return token, str(row.case_id) if row.case_id is not None else None


_REQUESTS = (
    select(INCIDENT.c.external_id.label("token"), INCIDENT.c.category, INCIDENT.c.description, INCIDENT.c.payload,
           CASE.c.id, CASE.c.status, CASE.c.created_at, CASE.c.updated_at, _LOCATION.c.code.label("location_code"),
           _LOCATION.c.name.label("location_name"))
    .select_from(INCIDENT.join(CASE, INCIDENT.c.case_id == CASE.c.id)
                 .join(_LOCATION, CASE.c.location_id == _LOCATION.c.id))
    .where(INCIDENT.c.source == SOURCE)
)


def list_service_requests(*, ids: Sequence[str] = (), service_codes: Sequence[str] = (),
                          start: datetime | None = None, end: datetime | None = None,
                          statuses: Sequence[str] = (), limit: int = MAX_RESULTS) -> list[ServiceRequestView]:
    """The service requests, newest first: by id (the other filters are then ignored), or by service, status
    and time requested ([start, end); without either, the last 90 days). At most `limit` (1000)."""
    query = _REQUESTS
    if ids:
        query = query.where(CASE.c.id.in_([int(i) for i in ids if i.strip().isdigit() and len(i.strip()) < 10]))
    else:
        if start is None and end is None:
            start = utcnow() - DEFAULT_SPAN
        if start is not None:
            query = query.where(CASE.c.created_at >= start)
        if end is not None:
            query = query.where(CASE.c.created_at < end)
        if service_codes:
            query = query.where(INCIDENT.c.category.in_(list(service_codes)))
        unknown = set(statuses) - set(STATUSES)
        if unknown:
            raise _invalid("status", f"{', '.join(sorted(unknown))} is not a status; use open or closed")
        if set(statuses) == {"open"}:
            query = query.where(CASE.c.status == "running")
        elif set(statuses) == {"closed"}:
            query = query.where(CASE.c.status != "running")
    rows = db.session.execute(query.order_by(CASE.c.created_at.desc(), CASE.c.id.desc())
                              .limit(min(limit, MAX_RESULTS))).all()
    return _views(rows)


def get_service_request(service_request_id: str) -> ServiceRequestView:
    """One service request by id; NotFoundError otherwise."""
    found = list_service_requests(ids=[service_request_id]) if service_request_id.isdigit() else []
    if not found:
        raise NotFoundError(f"service request {service_request_id!r} does not exist")
    return found[0]


def _current_tasks(case_ids: list[int]) -> dict[int, tuple[str | None, datetime | None]]:
    """Each case's agency responsible and expected time: its open task due first, else its latest task."""
    rows = db.session.execute(
        select(TASK.c.case_id, TASK.c.status, TASK.c.due_at, AGENCY.c.name)
        .outerjoin(AGENCY, TASK.c.candidate_agency_id == AGENCY.c.id)
        .where(TASK.c.case_id.in_(case_ids)).order_by(TASK.c.id)).all()
    by_case: dict[int, list] = {}
    for row in rows:
        by_case.setdefault(row.case_id, []).append(row)
    current = {}
    for case_id, tasks in by_case.items():
        active = [task for task in tasks if task.status in ACTIVE_TASK_STATUSES]
        if active:
            first = min(active, key=lambda task: (task.due_at is None, task.due_at or datetime.max.replace(
                tzinfo=UTC)))
            current[case_id] = (first.name, first.due_at)
        else:
            current[case_id] = (tasks[-1].name, None)
    return current


def _latest_notes(case_ids: list[int]) -> dict[int, str]:
    latest = (select(func.max(_AUDIT.c.id).label("id"))
              .where(_AUDIT.c.case_id.in_(case_ids), _AUDIT.c.event.in_(list(PUBLIC_NOTES)))
              .group_by(_AUDIT.c.case_id).subquery())
    rows = db.session.execute(
        select(_AUDIT.c.case_id, _AUDIT.c.event, AGENCY.c.name)
        .select_from(_AUDIT.join(latest, _AUDIT.c.id == latest.c.id)
                     .outerjoin(TASK, _AUDIT.c.task_id == TASK.c.id)
                     .outerjoin(AGENCY, TASK.c.candidate_agency_id == AGENCY.c.id))).all()
    return {row.case_id: PUBLIC_NOTES[row.event].format(agency=row.name or "相关单位") for row in rows}


def _views(rows) -> list[ServiceRequestView]:
    if not rows:
        return []
    case_ids = [row.id for row in rows]
    names = {service.code: service.name for service in list_services()}
    current, notes = _current_tasks(case_ids), _latest_notes(case_ids)
    views = []
    for row in rows:
        payload = row.payload or {}
        agency, expected = current.get(row.id, (None, None))
        views.append(ServiceRequestView(
            service_request_id=str(row.id), token=row.token, status="open" if row.status == "running" else "closed",
            status_notes=notes.get(row.id), service_name=names.get(row.category, row.category),
            service_code=row.category, description=row.description, agency_responsible=agency,
            service_notice=None, requested_datetime=row.created_at, updated_datetime=row.updated_at,
            expected_datetime=expected if row.status == "running" else None, address=row.location_name,
            address_id=row.location_code, zipcode=None, lat=payload.get("lat"), long=payload.get("long"),
            media_url=payload.get("media_url")))
    return views

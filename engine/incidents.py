"""Incident intake (警情): take an incident once, classify it, and divert a non-police matter to a case.

Every incident is kept as an `incident` row; police business stays there, a non-police matter also starts
a diversion case in the same transaction, so the diverted share can always be counted. An incident is
known by its sender's own id: (source, external_id) is unique, so the same incident sent twice, or twice
at once, is taken once and the second sender gets the first answer.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update

from engine.cases import open_case, start_data
from engine.db import db, utcnow
from engine.decisions import DIVERSION, classify_incident
from engine.errors import ConflictError, EngineError, InvalidInputError, ProcessError
from engine.models import Incident
from engine.org import AgencyRef, get_actor, resolve_location
from engine.transaction import Unit, transaction
from processes.forms import form_errors, load_form, start_form_name

SOURCES = ("110", "open311", "import")
_YES, _NO = frozenset({"true", "1", "yes", "是"}), frozenset({"false", "0", "no", "否"})
INCIDENT = Incident.__table__
MAX_EXTERNAL_ID = 100
_ATTEMPTS = 3
# The start form's pattern, checked again here because a pattern cannot tell 2024-13-45 from a date.
_ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")

_EXISTING = (
    select(INCIDENT.c.external_id, INCIDENT.c.police_matter, INCIDENT.c.case_id)
    .where(INCIDENT.c.source == bindparam("source"), INCIDENT.c.external_id.in_(bindparam("ids", expanding=True)))
)
_INSERT = insert(INCIDENT).returning(INCIDENT.c.id)
_SET_CASE = update(INCIDENT).where(INCIDENT.c.id == bindparam("incident_id")).values(case_id=bindparam("case_id"))


@dataclass(frozen=True)
class IncidentResult:
    incident_id: str  # the sender's own id
    source: str
    police_matter: bool
    case_id: int | None  # the diversion case of a non-police matter
    created: bool  # False when the incident had been taken before


def _start_form() -> dict:
    return load_form(start_form_name(DIVERSION))


def categories() -> list[str]:
    """The incident categories the diversion start form knows."""
    return list(_start_form()["properties"]["category"]["enum"])


def _field_value(schema: dict, value):
    """A file's or a form's text for a yes/no field becomes a boolean; anything else stays as given."""
    if schema.get("type") == "boolean" and isinstance(value, str):
        text = value.strip().lower()
        return True if text in _YES else False if text in _NO else value
    return value


def parse_time(value: str) -> datetime:
    """Parse an ISO 8601 time with a UTC offset; raise ValueError saying what is wrong."""
    if not isinstance(value, str) or not _ISO_WITH_OFFSET.match(value):
        raise ValueError(f"{value!r} is not an ISO 8601 time with an offset, such as 2024-05-10T09:30:00+08:00")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not a real date and time (ISO 8601, such as 2024-05-10T09:30:00+08:00)"
                         ) from None


class _Locations:
    """Location codes resolved once per command: an import names the same grids again and again."""

    def __init__(self):
        self._known: dict[str, AgencyRef | InvalidInputError] = {}

    def resolve(self, code: str | None) -> AgencyRef:
        if code not in self._known:
            try:
                self._known[code] = resolve_location(code)
            except InvalidInputError as error:
                self._known[code] = error
        found = self._known[code]
        if isinstance(found, InvalidInputError):
            raise found
        return found


def _check(data: dict, locations: _Locations) -> tuple[dict, AgencyRef, datetime | None]:
    """Return the incident's start-form fields, its location and its report time, or raise with every problem."""
    if not isinstance(data, dict):
        raise InvalidInputError("an incident must be a JSON object", details={"": ["must be an object"]})
    properties = _start_form()["properties"]
    clean = {name: _field_value(schema, data[name]) for name, schema in properties.items()
             if data.get(name) not in (None, "")}
    errors: dict[str, list[str]] = {}
    known = categories()
    if clean.get("category") not in known:
        problem = "required" if "category" not in clean else f"unknown category {clean['category']!r}"
        errors["category"] = [f"{problem}: use one of {', '.join(known)}"]
    reported_at = None
    if "reported_at" in clean:
        try:
            reported_at = parse_time(clean["reported_at"])
        except ValueError as error:
            errors["reported_at"] = [str(error)]
    for field, problems in form_errors(start_form_name(DIVERSION), clean).items():
        if field not in errors:
            errors[field] = problems
    location = None
    try:
        location = locations.resolve(clean.get("location"))
    except InvalidInputError as error:
        errors["location"] = [f"{error.message}"]
    if errors:
        summary = "; ".join(f"{field or 'incident'}: {' '.join(problems)}" for field, problems in errors.items())
        raise InvalidInputError(f"the incident cannot be taken: {summary}", details=errors)
    return clean, location, reported_at


def _check_key(source: str, external_id: str) -> None:
    if source not in SOURCES:
        raise InvalidInputError(f"unknown incident source {source!r}; use one of {', '.join(SOURCES)}")
    if not isinstance(external_id, str) or not external_id.strip() or len(external_id) > MAX_EXTERNAL_ID:
        raise InvalidInputError(f"incident_id must be 1-{MAX_EXTERNAL_ID} characters",
                                details={"incident_id": [f"required, 1-{MAX_EXTERNAL_ID} characters"]})


def _existing(source: str, ids: Sequence[str]) -> dict[str, IncidentResult]:
    # Its own connection, outside any command, so a second look sees what another sender just committed.
    with db.engine.connect() as conn:
        rows = conn.execute(_EXISTING, {"source": source, "ids": list(ids)}).all()
    return {row.external_id: IncidentResult(row.external_id, source, row.police_matter, row.case_id, False)
            for row in rows}


def _take(unit: Unit, *, source: str, external_id: str, data: dict, actor_id: int | None,
          locations: _Locations) -> IncidentResult:
    clean, location, reported_at = _check(data, locations)
    police = classify_incident(clean["category"])
    case_data = None if police else start_data(DIVERSION, clean)
    # The row is written first: it claims the sender's id before any case work is done.
    incident_id = unit.conn.execute(_INSERT, {
        "source": source, "external_id": external_id, "received_at": utcnow(), "reported_at": reported_at,
        "category": clean["category"], "location_id": location.id, "description": clean.get("description", ""),
        "police_matter": police, "case_id": None, "payload": data}).scalar_one()
    case_id = None
    if case_data is not None:
        case_id = open_case(unit, process_id=DIVERSION, data=case_data, actor_id=actor_id).id
        unit.conn.execute(_SET_CASE, {"incident_id": incident_id, "case_id": case_id})
    return IncidentResult(external_id, source, police, case_id, True)


def take_incident(*, source: str, external_id: str, data: dict, username: str | None = None) -> IncidentResult:
    """Take one incident: validate, classify with the diversion decision table, record it, divert it.

    `data` holds category, location (a grid or community code), description, and optionally
    caller_phone and reported_at (ISO 8601 with an offset); it is kept as the incident's payload.
    A non-police matter starts a diversion case in the same transaction. The same (source, external_id)
    taken again, even concurrently, returns the first result with created=False and starts nothing.
    Raises InvalidInputError with the problems by field.
    """
    _check_key(source, external_id)
    for attempt in range(_ATTEMPTS):
        known = _existing(source, [external_id])
        if known:
            return known[external_id]
        try:
            with transaction() as unit:
                actor_id = get_actor(username).id if username else None
                return _take(unit, source=source, external_id=external_id, data=data, actor_id=actor_id,
                             locations=_Locations())
        except ConflictError:
            # Another sender took the same incident meanwhile (or SQLite was busy): look again.
            if attempt == _ATTEMPTS - 1:
                known = _existing(source, [external_id])
                if known:
                    return known[external_id]
                raise
    raise AssertionError("unreachable")


def take_incidents(*, source: str, items: Sequence[tuple[str, dict]], username: str | None = None
                   ) -> list[IncidentResult | EngineError]:
    """Take a batch of (external_id, data) in one transaction; return each item's result or error.

    Items taken before are not touched (one query finds them). Invalid items get their InvalidInputError
    and do not hold back the rest. If the batch cannot commit as a whole (a process failure, an incident
    taken concurrently), each item is taken alone, so only the item at fault fails.
    """
    results: list[IncidentResult | EngineError | None] = [None] * len(items)
    first: dict[str, int] = {}
    for index, (external_id, _) in enumerate(items):
        try:
            _check_key(source, external_id)
        except InvalidInputError as error:
            results[index] = error
            continue
        first.setdefault(external_id, index)
    known = _existing(source, list(first)) if first else {}
    todo = [index for external_id, index in first.items() if external_id not in known]
    for external_id, index in first.items():
        if external_id in known:
            results[index] = known[external_id]
    try:
        with transaction() as unit:
            actor_id = get_actor(username).id if username else None
            locations = _Locations()
            for index in todo:
                external_id, data = items[index]
                try:
                    results[index] = _take(unit, source=source, external_id=external_id, data=data,
                                           actor_id=actor_id, locations=locations)
                except InvalidInputError as error:  # raised before anything of this item was written
                    results[index] = error
    except (ConflictError, ProcessError):
        for index in todo:
            external_id, data = items[index]
            try:
                results[index] = take_incident(source=source, external_id=external_id, data=data, username=username)
            except EngineError as error:
                results[index] = error
    for index, (external_id, _) in enumerate(items):
        if results[index] is None:  # the same id again later in the batch: the first one's answer
            earlier = results[first[external_id]]
            results[index] = replace(earlier, created=False) if isinstance(earlier, IncidentResult) else earlier
    return results

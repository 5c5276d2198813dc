"""The agency tree: actors, locations, the candidate agency of a lane, and who may act on a task.

These lookups run inside every command, so they are prebuilt Core statements, not ORM queries.
"""

from dataclasses import dataclass

from sqlalchemy import bindparam, case, func, or_, select

from engine.errors import InvalidInputError, NotFoundError
from engine.models import Agency, User
from engine.transaction import connection

LOCATION_LEVELS = ("community", "grid")
AGENCY = Agency.__table__
USER = User.__table__
_PARENT = AGENCY.alias("parent")


@dataclass(frozen=True)
class AgencyRef:
    id: int
    code: str
    name: str
    path: str
    cross_area: bool = False


@dataclass(frozen=True)
class Actor:
    id: int
    username: str
    roles: frozenset[str]
    agency_id: int
    agency_name: str
    agency_path: str

    def has_role(self, role: str) -> bool:
        return role in self.roles


_ACTOR = (
    select(USER.c.id, USER.c.username, USER.c.roles, USER.c.agency_id, AGENCY.c.name, AGENCY.c.path)
    .join(AGENCY, USER.c.agency_id == AGENCY.c.id)
    .where(USER.c.username == bindparam("username"), USER.c.active.is_(True))
)
_AGENCY_BY_CODE = select(AGENCY.c.id, AGENCY.c.code, AGENCY.c.name, AGENCY.c.path, AGENCY.c.level,
                         AGENCY.c.cross_area).where(AGENCY.c.code == bindparam("code"))
# An agency is in the location's chain when its path is a prefix of the location's path.
_IN_CHAIN = func.substr(bindparam("path"), 1, func.length(AGENCY.c.path)) == AGENCY.c.path
_PARENT_IN_CHAIN = func.substr(bindparam("path"), 1, func.length(_PARENT.c.path)) == _PARENT.c.path
# The nearest candidate is the one whose anchor (itself, or its parent) has the longest path.
_CANDIDATE = (
    select(AGENCY.c.id, AGENCY.c.code, AGENCY.c.name, AGENCY.c.path)
    .select_from(AGENCY.outerjoin(_PARENT, AGENCY.c.parent_id == _PARENT.c.id))
    .where(AGENCY.c.kind == bindparam("kind"), or_(_IN_CHAIN, _PARENT_IN_CHAIN))
    .order_by(case((_IN_CHAIN, func.length(AGENCY.c.path)), else_=func.length(_PARENT.c.path)).desc(),
              AGENCY.c.id)
    .limit(1)
)
_CROSS_AREA = (
    select(AGENCY.c.id, AGENCY.c.code, AGENCY.c.name, AGENCY.c.path)
    .where(AGENCY.c.kind == bindparam("kind"), AGENCY.c.cross_area.is_(True)).order_by(AGENCY.c.id).limit(1)
)


def agency_path(parent_path: str | None, code: str) -> str:
    """Return an agency's path: its parent's path and its own code."""
    return f"{parent_path or '/'}{code}/"


def get_actor(username: str) -> Actor:
    """Return the active user acting in a command, with their agency."""
    row = connection().execute(_ACTOR, {"username": username}).first()
    if row is None:
        raise NotFoundError(f"user {username!r} does not exist or is disabled")
    return Actor(row.id, row.username, frozenset(row.roles.split(",")), row.agency_id, row.name, row.path)


def resolve_location(code: str | None, known: dict | None = None) -> AgencyRef:
    """Return the grid or community a case's location code names.

    `known` keeps the agency rows found by code (engine/reference.py shares one between commands); codes
    that name no agency are not kept, so bad input cannot fill it.
    """
    if not code:
        raise InvalidInputError("location is required: give the code of a grid or community",
                                details={"location": ["required"]})
    row = known.get(code) if known is not None else None
    if row is None:
        row = connection().execute(_AGENCY_BY_CODE, {"code": code}).first()
        if row is not None and known is not None:
            known[code] = row
    if row is None or row.level not in LOCATION_LEVELS:
        raise InvalidInputError(f"location {code!r} is not the code of a grid or community",
                                details={"location": ["unknown grid or community code"]})
    return AgencyRef(row.id, row.code, row.name, row.path)


def find_agency(code: str) -> AgencyRef | None:
    """Return the agency with this code, or None."""
    row = connection().execute(_AGENCY_BY_CODE, {"code": code}).first()
    return AgencyRef(row.id, row.code, row.name, row.path, row.cross_area) if row is not None else None


def candidate_agency(kind: str, jurisdiction_path: str) -> AgencyRef | None:
    """Find the nearest agency of a kind up the location's chain, else a cross-area agency of that kind.

    An agency of the kind "belongs" to an ancestor when it is that ancestor or one of its direct children
    (the street squad under its street, the justice office under its district).
    """
    row = connection().execute(_CANDIDATE, {"kind": kind, "path": jurisdiction_path}).first()
    if row is None:
        row = connection().execute(_CROSS_AREA, {"kind": kind}).first()
    return AgencyRef(row.id, row.code, row.name, row.path) if row is not None else None


class CandidateResolver:
    """Resolve candidate agencies, asking the database once per kind and place.

    `known` is where the answers are kept: by default this resolver's own; engine/reference.py shares one
    between the commands that read the same reference stamp.
    """

    def __init__(self, known: dict | None = None):
        self._known: dict[tuple[str, str], AgencyRef | None] = {} if known is None else known

    def resolve(self, kind: str, jurisdiction_path: str) -> AgencyRef | None:
        key = (kind, jurisdiction_path)
        if key not in self._known:
            self._known[key] = candidate_agency(kind, jurisdiction_path)
        return self._known[key]


def is_within(path: str, ancestor_path: str) -> bool:
    return path.startswith(ancestor_path)


def can_act_on(actor: Actor, task) -> bool:
    """Staff act on their own agency's tasks; supervisors also on the agencies below theirs."""
    if task.candidate_agency_id is not None and task.candidate_agency_id == actor.agency_id:
        return True
    # A task no agency covers falls to the supervisors above the case's location.
    path = task.agency_path if task.candidate_agency_id is not None else task.jurisdiction_path
    return actor.has_role("supervisor") and is_within(path, actor.agency_path)

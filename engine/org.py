"""The agency tree: locations, the candidate agency of a lane, and who may act on a task."""

from sqlalchemy import select

from engine.db import db
from engine.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from engine.models import Agency, Task, User

LOCATION_LEVELS = ("community", "grid")


def agency_path(parent: Agency | None, code: str) -> str:
    return f"{parent.path if parent else '/'}{code}/"


def ancestor_codes(path: str) -> list[str]:
    """Return the codes of an agency path, nearest first."""
    return list(reversed([code for code in path.split("/") if code]))


def resolve_location(code: str | None) -> Agency:
    """Return the grid or community a case's location code names."""
    if not code:
        raise InvalidInputError("location is required: give the code of a grid or community",
                                details={"location": ["required"]})
    agency = db.session.scalar(select(Agency).where(Agency.code == code))
    if agency is None or agency.level not in LOCATION_LEVELS:
        raise InvalidInputError(f"location {code!r} is not the code of a grid or community",
                                details={"location": ["unknown grid or community code"]})
    return agency


def candidate_agency(kind: str, jurisdiction_path: str) -> Agency | None:
    """Find the nearest agency of a kind up the location's chain, else a cross-area agency of that kind.

    An agency of the kind "belongs" to an ancestor when it is that ancestor or one of its direct children
    (the street squad under its street, the justice office under its district).
    """
    chain = ancestor_codes(jurisdiction_path)
    parent_ids = select(Agency.id).where(Agency.code.in_(chain))
    rows = db.session.scalars(
        select(Agency).where(
            Agency.kind == kind,
            (Agency.code.in_(chain)) | (Agency.parent_id.in_(parent_ids)),
        )
    ).all()
    depth = {code: index for index, code in enumerate(chain)}

    def nearness(agency: Agency) -> int:
        if agency.code in depth:
            return depth[agency.code]
        return depth[agency.parent.code] if agency.parent else len(chain)

    if rows:
        return min(rows, key=nearness)
    return db.session.scalar(
        select(Agency).where(Agency.kind == kind, Agency.cross_area.is_(True)).order_by(Agency.id).limit(1)
    )


def get_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise NotFoundError(f"user {username!r} does not exist or is disabled")
    return user


def is_within(agency_path_: str, supervisor_path: str) -> bool:
    return agency_path_.startswith(supervisor_path)


def can_act_on(user: User, task: Task) -> bool:
    """Staff act on their own agency's tasks; supervisors also on the agencies below theirs."""
    agency = task.candidate_agency
    if agency is not None and agency.id == user.agency_id:
        return True
    # A task no agency covers falls to the supervisors above the case's location.
    path = agency.path if agency is not None else task.case.jurisdiction_path
    return user.has_role("supervisor") and is_within(path, user.agency.path)


def require_can_act(user: User, task: Task) -> None:
    if not can_act_on(user, task):
        owner = task.candidate_agency.name if task.candidate_agency else "no agency"
        raise PermissionDeniedError(
            f"user {user.username!r} ({user.agency.name}) may not act on task {task.id}: "
            f"it belongs to {owner}"
        )

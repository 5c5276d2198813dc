"""Users: who is logged in, checking a password, and administrators managing users and their roles."""

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Connection, bindparam, func, insert, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from engine.db import utcnow
from engine.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from engine.models import ROLES, Agency, User
from engine.queries import Page
from engine.transaction import connection, transaction

_USER = User.__table__
_AGENCY = Agency.__table__
_ACTIVE_USER = (
    select(_USER.c.id, _USER.c.username, _USER.c.display_name, _USER.c.roles, _USER.c.password_hash,
           _AGENCY.c.code.label("agency_code"), _AGENCY.c.name.label("agency_name"))
    .join(_AGENCY, _USER.c.agency_id == _AGENCY.c.id)
    .where(_USER.c.username == bindparam("username"), _USER.c.active.is_(True))
)


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    display_name: str
    agency_code: str
    agency_name: str
    roles: tuple[str, ...]

    def has_role(self, role: str) -> bool:
        return role in self.roles


def _view(row) -> UserView:
    return UserView(row.id, row.username, row.display_name, row.agency_code, row.agency_name,
                    tuple(row.roles.split(",")))


@cache
def _decoy_hash() -> str:
    return generate_password_hash("not a password anyone has")


def get_user(username: str) -> UserView | None:
    """Return an active user with their agency, or None when the user does not exist or is disabled."""
    row = connection().execute(_ACTIVE_USER, {"username": username}).first()
    return _view(row) if row is not None else None


def verify_password(*, username: str, password: str) -> UserView | None:
    """Return the active user whose password this is, else None, without saying which part was wrong.

    A user without a password (an integration user that only has API tokens) never logs in. An unknown
    user costs as much time as a wrong password, so timing does not tell which usernames exist.
    """
    row = connection().execute(_ACTIVE_USER, {"username": username}).first()
    if row is None or not row.password_hash:
        check_password_hash(_decoy_hash(), password)
        return None
    return _view(row) if check_password_hash(row.password_hash, password) else None


# --- Administration: administrators list, create and change users -------------------------------------

ADMIN_ROLE = "admin"
USERNAME_FORMAT = re.compile(r"[a-z0-9._-]{3,64}")
USERNAME_RULE = "3 to 64 characters: lowercase letters a-z, digits 0-9, '.', '_' and '-'"
DISPLAY_NAME_MAX_LENGTH = 100
PASSWORD_MIN_LENGTH = 10
# Long enough for any passphrase; the cap only keeps a request from making the hash chew megabytes.
PASSWORD_MAX_LENGTH = 1024
MAX_PAGE_SIZE = 100

_RECORD_COLUMNS = (
    _USER.c.id, _USER.c.username, _USER.c.display_name, _USER.c.roles, _USER.c.active, _USER.c.created_at,
    (_USER.c.password_hash.is_not(None) & (_USER.c.password_hash != "")).label("has_password"),
    _AGENCY.c.code.label("agency_code"), _AGENCY.c.name.label("agency_name"))
_RECORDS = select(*_RECORD_COLUMNS).join(_AGENCY, _USER.c.agency_id == _AGENCY.c.id)
_RECORD = _RECORDS.where(_USER.c.username == bindparam("username"))
_COUNT = select(func.count()).select_from(_USER)
_AGENCY_ID = select(_AGENCY.c.id).where(_AGENCY.c.code == bindparam("code"))
_ACTING_ADMIN = select(_USER.c.id, _USER.c.roles, _USER.c.active).where(_USER.c.username == bindparam("username"))
# The acting administrator and the user they change, locked in id order, so two administrators demoting
# each other at once cannot both succeed and leave none. SQLite ignores FOR UPDATE: update_user checks
# the actor again once its UPDATE holds SQLite's write lock.
_LOCK_PAIR = (select(_USER.c.id, _USER.c.username, _USER.c.roles, _USER.c.active)
              .where(_USER.c.username.in_(bindparam("usernames", expanding=True)))
              .order_by(_USER.c.id).with_for_update())
_INSERT_USER = insert(_USER)
_UPDATE_USER = update(_USER).where(_USER.c.id == bindparam("user_id"))


@dataclass(frozen=True)
class UserRecord:
    """A user as administrators see them. Never the password or its hash: only whether one is set."""

    username: str
    display_name: str
    agency_code: str
    agency_name: str
    roles: tuple[str, ...]
    active: bool
    has_password: bool
    created_at: datetime

    def has_role(self, role: str) -> bool:
        return role in self.roles


def _record(row) -> UserRecord:
    return UserRecord(row.username, row.display_name, row.agency_code, row.agency_name,
                      tuple(row.roles.split(",")), bool(row.active), bool(row.has_password), row.created_at)


def _is_admin(row) -> bool:
    return row is not None and bool(row.active) and ADMIN_ROLE in row.roles.split(",")


def _refuse(actor_username: str) -> PermissionDeniedError:
    return PermissionDeniedError(f"user {actor_username!r} may not manage users or API tokens: "
                                 "only active administrators (role admin) may")


def require_admin(actor_username: str) -> None:
    """Check that a user is an active administrator, else raise PermissionDeniedError.

    Every administration command checks this itself; views call it first only so that people who may
    not administer get 403 before any word about their input.
    """
    if not _is_admin(connection().execute(_ACTING_ADMIN, {"username": actor_username}).first()):
        raise _refuse(actor_username)


def _invalid(errors: dict[str, list[str]], what: str = "the user") -> InvalidInputError:
    summary = "; ".join(f"{field}: {' '.join(problems)}" for field, problems in errors.items())
    return InvalidInputError(f"{what} has invalid fields: {summary}", details=errors)


def _check_display_name(display_name, errors: dict) -> str:
    display_name = display_name.strip() if isinstance(display_name, str) else ""
    if not display_name:
        errors["display_name"] = ["required: the person's or system's name, such as 张三 or 110 接警推送"]
    elif len(display_name) > DISPLAY_NAME_MAX_LENGTH:
        errors["display_name"] = [f"at most {DISPLAY_NAME_MAX_LENGTH} characters"]
    return display_name


def _check_roles(roles, errors: dict) -> str:
    if isinstance(roles, str) or not roles:
        errors["roles"] = [f"give a list of one or more of {', '.join(ROLES)}"]
        return ""
    unknown = sorted({str(role) for role in roles} - set(ROLES))
    if unknown:
        errors["roles"] = [f"unknown roles {', '.join(unknown)}: use {', '.join(ROLES)}"]
        return ""
    return ",".join(role for role in ROLES if role in roles)


def _check_password(password, errors: dict) -> str:
    # The messages never repeat the password.
    if not isinstance(password, str) or len(password) < PASSWORD_MIN_LENGTH:
        errors["password"] = [f"at least {PASSWORD_MIN_LENGTH} characters"]
        return ""
    if len(password) > PASSWORD_MAX_LENGTH:
        errors["password"] = [f"at most {PASSWORD_MAX_LENGTH} characters"]
        return ""
    return generate_password_hash(password)


def _agency_id(conn: Connection, agency_code, errors: dict, field: str) -> int | None:
    found = conn.execute(_AGENCY_ID, {"code": agency_code}).scalar() if agency_code else None
    if found is None:
        errors[field] = ["no agency has this code: see GET /api/v1/agencies"] if agency_code else ["required"]
    return found


def list_users(*, actor_username: str, agency_code: str | None = None, page: int = 1,
               page_size: int = 20) -> Page:
    """Return one page of users as administrators see them (UserRecord), ordered by username.

    `agency_code` keeps the users of that one agency (not of the agencies below it).

    Raises PermissionDeniedError when the actor is not an active administrator, InvalidInputError for an
    unknown agency (field `agency`) or a page out of range.
    """
    with transaction() as unit:
        require_admin(actor_username)
        errors: dict[str, list[str]] = {}
        if page < 1:
            errors["page"] = ["at least 1"]
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            errors["page_size"] = [f"from 1 to {MAX_PAGE_SIZE}"]
        records, count = _RECORDS, _COUNT
        if agency_code is not None:
            agency_id = _agency_id(unit.conn, agency_code, errors, "agency")
            records, count = records.where(_USER.c.agency_id == agency_id), count.where(_USER.c.agency_id == agency_id)
        if errors:
            raise _invalid(errors, "the user list query")
        total = unit.conn.execute(count).scalar_one()
        rows = unit.conn.execute(records.order_by(_USER.c.username).limit(page_size).offset((page - 1) * page_size))
        return Page([_record(row) for row in rows], total, page, page_size)


def get_user_record(*, actor_username: str, username: str) -> UserRecord:
    """Return one user, disabled or not, as administrators see them.

    Raises PermissionDeniedError when the actor is not an active administrator, NotFoundError when no user
    has this username.
    """
    with transaction() as unit:
        require_admin(actor_username)
        row = unit.conn.execute(_RECORD, {"username": username}).first()
        if row is None:
            raise NotFoundError(f"user {username!r} does not exist")
        return _record(row)


def create_user(*, actor_username: str, username: str, display_name: str, agency_code: str, roles: list[str],
                password: str) -> UserRecord:
    """Create an active user who logs in with `password` and acts for the agency with their roles.

    Rules: `username` is 3-64 characters of a-z, 0-9, '.', '_', '-'; `display_name` is not blank (at most
    100 characters); `agency_code` names an agency; `roles` is a non-empty subset of engine.models.ROLES;
    `password` has at least 10 characters and is stored only as a werkzeug scrypt hash.

    Raises PermissionDeniedError when the actor is not an active administrator, InvalidInputError with
    every bad field in `details`, ConflictError when the username is taken.
    """
    errors: dict[str, list[str]] = {}
    if not isinstance(username, str) or not USERNAME_FORMAT.fullmatch(username):
        errors["username"] = [USERNAME_RULE]
    display_name = _check_display_name(display_name, errors)
    roles_value = _check_roles(roles, errors)
    with transaction() as unit:
        require_admin(actor_username)
        agency_id = _agency_id(unit.conn, agency_code, errors, "agency_code")
        if errors:
            raise _invalid(errors)
        if unit.conn.execute(_RECORD, {"username": username}).first() is not None:
            raise ConflictError(f"user {username!r} already exists: choose another username")
        # Hashed last, after the cheap checks: scrypt is deliberately slow.
        password_hash = _check_password(password, errors)
        if errors:
            raise _invalid(errors)
        unit.conn.execute(_INSERT_USER, {
            "username": username, "display_name": display_name, "agency_id": agency_id, "roles": roles_value,
            "password_hash": password_hash, "active": True, "created_at": utcnow()})
        return _record(unit.conn.execute(_RECORD, {"username": username}).one())


def update_user(*, actor_username: str, username: str, display_name: str | None = None,
                agency_code: str | None = None, roles: list[str] | None = None, active: bool | None = None,
                password: str | None = None) -> UserRecord:
    """Change a user's display name, agency, roles, active flag or password; None leaves a field as it is.

    The same rules as create_user apply to each given field. Administrators may not remove their own admin
    role or disable themselves, so there is always an active administrator. Disabling a user ends their
    sessions and stops their API tokens at once; a new password does neither.

    Raises PermissionDeniedError when the actor is not an active administrator, NotFoundError when no user
    has this username, InvalidInputError with every bad field in `details`.
    """
    errors: dict[str, list[str]] = {}
    changes: dict = {}
    if display_name is not None:
        changes["display_name"] = _check_display_name(display_name, errors)
    if roles is not None:
        changes["roles"] = _check_roles(roles, errors)
    if active is not None:
        changes["active"] = bool(active)
    with transaction() as unit:
        locked = {row.username: row for row in unit.conn.execute(
            _LOCK_PAIR, {"usernames": sorted({actor_username, username})})}
        if not _is_admin(locked.get(actor_username)):
            raise _refuse(actor_username)
        target = locked.get(username)
        if target is None:
            raise NotFoundError(f"user {username!r} does not exist")
        if username == actor_username:
            if roles is not None and "roles" not in errors and ADMIN_ROLE not in changes["roles"].split(","):
                errors["roles"] = ["you may not remove your own admin role: ask another administrator"]
            if active is False:
                errors["active"] = ["you may not disable yourself: ask another administrator"]
        if agency_code is not None:
            changes["agency_id"] = _agency_id(unit.conn, agency_code, errors, "agency_code")
        if errors:
            raise _invalid(errors)
        if password is not None:
            changes["password_hash"] = _check_password(password, errors)
            if errors:
                raise _invalid(errors)
        if changes:
            unit.conn.execute(_UPDATE_USER.values(changes), {"user_id": target.id})
            # SQLite locks nothing on SELECT: only now, holding its write lock, is the actor's row final.
            if not _is_admin(unit.conn.execute(_ACTING_ADMIN, {"username": actor_username}).first()):
                raise _refuse(actor_username)
        return _record(unit.conn.execute(_RECORD, {"username": username}).one())

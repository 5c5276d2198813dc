"""Users as the web layer sees them: who is logged in, and checking a password."""

from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, select
from werkzeug.security import check_password_hash, generate_password_hash

from engine.models import Agency, User
from engine.transaction import connection

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

"""API tokens: how machine clients (the 110 push, partner systems) act as one user without a password.

A token is "gz_" followed by 32 random bytes (URL-safe base64). It is shown once, when it is created;
the database keeps only its SHA-256, which is enough for a secret with 256 bits of entropy (a slow
password hash would only slow down every API call). A token acts as its user: that user's agency and
roles decide what it may do, and disabling the user stops the token too.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, or_, select, update

from engine.db import utcnow
from engine.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from engine.models import ApiToken, User
from engine.transaction import connection, transaction
from engine.users import require_admin

TOKEN_PREFIX = "gz_"
# secrets.token_urlsafe(32) is 43 characters of the URL-safe base64 alphabet.
_TOKEN_FORMAT = re.compile(r"gz_[A-Za-z0-9_-]{43}")
NAME_MAX_LENGTH = 100
# last_used_at is for people deciding which tokens are still in use: minute precision is plenty, and
# it spares every API call a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)

TOKEN = ApiToken.__table__
_USER = User.__table__
_CREATOR = _USER.alias("creator")

_USER_BY_NAME = select(_USER.c.id, _USER.c.roles, _USER.c.active).where(_USER.c.username == bindparam("username"))
_INSERT_TOKEN = insert(TOKEN).returning(TOKEN.c.id)
_TOKEN_BY_ID = select(TOKEN.c.id, TOKEN.c.revoked_at).where(TOKEN.c.id == bindparam("token_id"))
_REVOKE = (update(TOKEN).where(TOKEN.c.id == bindparam("token_id"), TOKEN.c.revoked_at.is_(None))
           .values(revoked_at=bindparam("now")))
_ACTIVE_TOKEN = (
    select(TOKEN.c.id, TOKEN.c.last_used_at, _USER.c.username)
    .join(_USER, TOKEN.c.user_id == _USER.c.id)
    .where(TOKEN.c.token_hash == bindparam("token_hash"), TOKEN.c.revoked_at.is_(None), _USER.c.active.is_(True))
)
# Conditional, so two calls in the same minute write once and never conflict.
_TOUCH = (
    update(TOKEN)
    .where(TOKEN.c.id == bindparam("token_id"),
           or_(TOKEN.c.last_used_at.is_(None), TOKEN.c.last_used_at <= bindparam("stale_before")))
    .values(last_used_at=bindparam("now"))
)
_LIST = (
    select(TOKEN.c.id, TOKEN.c.name, _USER.c.username, _CREATOR.c.username.label("created_by"), TOKEN.c.created_at,
           TOKEN.c.last_used_at, TOKEN.c.revoked_at)
    .select_from(TOKEN.join(_USER, TOKEN.c.user_id == _USER.c.id)
                 .outerjoin(_CREATOR, TOKEN.c.created_by_id == _CREATOR.c.id))
    .order_by(TOKEN.c.id)
)


@dataclass(frozen=True)
class CreatedToken:
    """A new token. `token` is the plaintext: show it once, it is not stored and cannot be recovered."""

    id: int
    name: str
    username: str
    token: str


@dataclass(frozen=True)
class TokenView:
    id: int
    name: str
    username: str
    created_by: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def hash_token(token: str) -> str:
    """Return the hex SHA-256 under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInputError("name is required: say which system uses the token, such as '110 接警推送'",
                                details={"name": ["required"]})
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidInputError(f"name is too long: at most {NAME_MAX_LENGTH} characters",
                                details={"name": [f"at most {NAME_MAX_LENGTH} characters"]})
    return name


def create_token(*, username: str, name: str, created_by: str | None = None) -> CreatedToken:
    """Create a token that acts as `username` and return it, plaintext included, for the only time.

    `name` says which system uses it. `created_by` is the administrator creating it (None for the
    operator's command line); a user without the admin role may not create tokens.

    Raises NotFoundError when the user (or the creator) does not exist or is disabled,
    PermissionDeniedError when the creator is not an administrator, InvalidInputError for a bad name.
    """
    name = _clean_name(name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction() as unit:
        creator_id = None
        if created_by is not None:
            creator = unit.conn.execute(_USER_BY_NAME, {"username": created_by}).first()
            if creator is None or not creator.active:
                raise NotFoundError(f"user {created_by!r} does not exist or is disabled")
            if "admin" not in creator.roles.split(","):
                raise PermissionDeniedError(f"user {created_by!r} may not create API tokens: only administrators may")
            creator_id = creator.id
        user = unit.conn.execute(_USER_BY_NAME, {"username": username}).first()
        if user is None or not user.active:
            raise NotFoundError(f"user {username!r} does not exist or is disabled")
        token_id = unit.conn.execute(_INSERT_TOKEN, {
            "name": name, "token_hash": hash_token(token), "user_id": user.id, "created_at": utcnow(),
            "created_by_id": creator_id}).scalar_one()
    return CreatedToken(id=token_id, name=name, username=username, token=token)


def revoke_token(*, token_id: int, actor_username: str | None = None) -> None:
    """Revoke a token: from now on it authenticates nobody. Revoking it again changes nothing.

    `actor_username` is the administrator revoking it (None for the operator's command line).

    Raises PermissionDeniedError when the actor is not an active administrator, NotFoundError when no
    token has this id.
    """
    with transaction() as unit:
        if actor_username is not None:
            require_admin(actor_username)
        if unit.conn.execute(_TOKEN_BY_ID, {"token_id": token_id}).first() is None:
            raise NotFoundError(f"API token {token_id} does not exist")
        unit.conn.execute(_REVOKE, {"token_id": token_id, "now": utcnow()})


def list_tokens(*, actor_username: str | None = None) -> list[TokenView]:
    """Return every token, revoked ones included, oldest first; never the token or its hash.

    `actor_username` is the administrator asking (None for the operator's command line); raises
    PermissionDeniedError when they are not an active administrator.
    """
    if actor_username is not None:
        require_admin(actor_username)
    return [TokenView(row.id, row.name, row.username, row.created_by, row.created_at, row.last_used_at,
                      row.revoked_at) for row in connection().execute(_LIST)]


def authenticate_token(token: str) -> str | None:
    """Return the username a token acts as, or None when it is malformed, unknown, revoked or its user disabled.

    Records when the token was last used, at most once a minute, so most API calls do not write.
    """
    if not _TOKEN_FORMAT.fullmatch(token):
        return None
    now = utcnow()
    with transaction() as unit:
        row = unit.conn.execute(_ACTIVE_TOKEN, {"token_hash": hash_token(token)}).first()
        if row is None:
            return None
        stale_before = now - LAST_USED_RESOLUTION
        if row.last_used_at is None or row.last_used_at <= stale_before:
            unit.conn.execute(_TOUCH, {"token_id": row.id, "now": now, "stale_before": stale_before})
    return row.username

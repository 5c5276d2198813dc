"""Notification channels: where an agency or a user hears of its notices (webhook, email, SMS)."""

import re
from urllib.parse import urlsplit

from sqlalchemy import or_, select

from engine.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from engine.models import CHANNEL_KINDS, User
from engine.notices import CHANNEL, NOTICE
from engine.org import Actor, find_agency, get_actor
from engine.transaction import connection, transaction

USERS = User.__table__


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MOBILE = re.compile(r"^(\+?86)?1\d{10}$")  # a mainland mobile number: SMS reaches nothing else


def _check_address(kind: str, address: str, secret: str) -> None:
    if kind not in CHANNEL_KINDS:
        raise InvalidInputError(f"channel kind {kind!r} is not supported; use one of {', '.join(CHANNEL_KINDS)}",
                                details={"kind": ["unsupported channel kind"]})
    if kind == "webhook":
        parts = urlsplit(address)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidInputError(f"webhook address {address!r} is not an http(s) URL", details={
                "address": ["give a URL such as https://partner.example/hooks/gongzhi"]})
        if len(secret) < 16:
            raise InvalidInputError("a webhook needs a signing secret of at least 16 characters",
                                    details={"secret": ["at least 16 characters"]})
    elif kind == "email" and not EMAIL.match(address):
        raise InvalidInputError(f"{address!r} is not an email address", details={"address": ["name@example.cn"]})
    elif kind == "sms" and not MOBILE.match(address):
        raise InvalidInputError(f"{address!r} is not a mobile number", details={
            "address": ["11 digits starting with 1, such as 13800138000"]})


def _insert_channel(conn, *, kind: str, address: str, secret: str, agency_id: int | None = None,
                    user_id: int | None = None) -> int:
    """Check the address, then write the channel in the running command; return its id."""
    address, secret = (address or "").strip(), (secret or "").strip()
    _check_address(kind, address, secret)
    return conn.execute(CHANNEL.insert().values(kind=kind, address=address, secret=secret or None, active=True,
                                                agency_id=agency_id, user_id=user_id).returning(CHANNEL.c.id)).scalar()


def add_channel(*, kind: str, address: str, secret: str = "", agency_code: str | None = None,
                username: str | None = None) -> int:
    """Add a channel for an agency or a user; return its id. Only a webhook takes a secret."""
    if bool(agency_code) == bool(username):
        raise InvalidInputError("give either an agency or a user, not both and not neither")
    with transaction() as unit:
        agency_id = user_id = None
        if agency_code:
            agency = find_agency(agency_code)
            if agency is None:
                raise NotFoundError(f"agency {agency_code!r} does not exist")
            agency_id = agency.id
        else:
            user_id = unit.conn.execute(select(USERS.c.id).where(USERS.c.username == username)).scalar()
            if user_id is None:
                raise NotFoundError(f"user {username!r} does not exist")
        return _insert_channel(unit.conn, kind=kind, address=address, secret=secret, agency_id=agency_id,
                               user_id=user_id)


def deactivate_channel(channel_id: int) -> None:
    with transaction() as unit:
        if not unit.conn.execute(CHANNEL.update().where(CHANNEL.c.id == channel_id).values(active=False)).rowcount:
            raise NotFoundError(f"channel {channel_id} does not exist")


def list_channels() -> list[dict]:
    rows = connection().execute(select(CHANNEL.c.id, CHANNEL.c.kind, CHANNEL.c.address, CHANNEL.c.agency_id,
                                       CHANNEL.c.user_id, CHANNEL.c.active).order_by(CHANNEL.c.id))
    return [dict(row._mapping) for row in rows]


def delivery(notice_id: int, channel_id: int) -> tuple[dict, dict]:
    """The notice and the channel a delivery message names (for the worker that delivers it)."""
    notice = connection().execute(select(NOTICE).where(NOTICE.c.id == notice_id)).first()
    channel = connection().execute(select(CHANNEL).where(CHANNEL.c.id == channel_id)).first()
    if notice is None or channel is None:
        raise NotFoundError(f"notice {notice_id} or channel {channel_id} no longer exists")
    return dict(notice._mapping), dict(channel._mapping)


_MINE = (select(CHANNEL.c.id, CHANNEL.c.kind, CHANNEL.c.address, CHANNEL.c.agency_id, CHANNEL.c.user_id,
                CHANNEL.c.active, CHANNEL.c.created_at)
         .where(CHANNEL.c.active.is_(True)).order_by(CHANNEL.c.id))


def _may_speak_for_agency(actor: Actor) -> bool:
    return actor.has_role("supervisor") or actor.has_role("admin")


def my_channels(*, actor: Actor) -> list[dict]:
    """The active channels of the actor, and of their agency when they may manage it (supervisors)."""
    mine = CHANNEL.c.user_id == actor.id
    if _may_speak_for_agency(actor):
        mine = or_(mine, CHANNEL.c.agency_id == actor.agency_id)
    return [dict(row._mapping) for row in connection().execute(_MINE.where(mine))]


def add_my_channel(*, username: str, kind: str, address: str, secret: str = "", for_agency: bool = False) -> dict:
    """Add a channel for the user, or for their agency (supervisors and administrators only)."""
    actor = get_actor(username)
    if for_agency and not _may_speak_for_agency(actor):
        raise PermissionDeniedError(f"only a supervisor of {actor.agency_name} chooses its channels; add one for "
                                    "yourself instead")
    with transaction() as unit:
        owner = {"agency_id": actor.agency_id} if for_agency else {"user_id": actor.id}
        channel_id = _insert_channel(unit.conn, kind=kind, address=address, secret=secret, **owner)
        return dict(unit.conn.execute(_MINE.where(CHANNEL.c.id == channel_id)).one()._mapping)


def remove_my_channel(*, username: str, channel_id: int) -> None:
    """Stop a channel of the user's own, or of their agency (supervisors); it is kept, inactive."""
    actor = get_actor(username)
    with transaction() as unit:
        channel = unit.conn.execute(select(CHANNEL).where(CHANNEL.c.id == channel_id,
                                                          CHANNEL.c.active.is_(True))).first()
        own = channel is not None and (channel.user_id == actor.id or (
            channel.agency_id == actor.agency_id and _may_speak_for_agency(actor)))
        if not own:
            raise NotFoundError(f"channel {channel_id} does not exist or is not yours")
        unit.conn.execute(CHANNEL.update().where(CHANNEL.c.id == channel_id).values(active=False))

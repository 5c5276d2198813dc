"""Notification channels: where an agency or a user hears of its notices (partner systems' webhooks)."""

from urllib.parse import urlsplit

from sqlalchemy import select

from engine.errors import InvalidInputError, NotFoundError
from engine.models import CHANNEL_KINDS, User
from engine.notices import CHANNEL, NOTICE
from engine.org import find_agency
from engine.transaction import connection, transaction

USERS = User.__table__


def _check_address(kind: str, address: str) -> None:
    if kind not in CHANNEL_KINDS:
        raise InvalidInputError(f"channel kind {kind!r} is not supported; use one of {', '.join(CHANNEL_KINDS)}",
                                details={"kind": ["unsupported channel kind"]})
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInputError(f"webhook address {address!r} is not an http(s) URL",
                                details={"address": ["give a URL such as https://partner.example/hooks/gongzhi"]})


def add_channel(*, kind: str, address: str, secret: str, agency_code: str | None = None,
                username: str | None = None) -> int:
    """Add a channel for an agency or a user; return its id."""
    address, secret = (address or "").strip(), (secret or "").strip()
    _check_address(kind, address)
    if len(secret) < 16:
        raise InvalidInputError("a webhook needs a signing secret of at least 16 characters",
                                details={"secret": ["at least 16 characters"]})
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
        return unit.conn.execute(CHANNEL.insert().values(
            kind=kind, address=address, secret=secret, agency_id=agency_id, user_id=user_id, active=True)
            .returning(CHANNEL.c.id)).scalar()


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

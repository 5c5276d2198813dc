"""Notices (reminders, supervision notices 督办通知, reports) and the channels that carry them.

A notice is a row the recipient agency (or user) reads in the platform; each active channel of the
recipient also gets an outbox message, delivered by the workers.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, func, or_, select, update

from engine import outbox
from engine.db import insert_skipping_taken, utcnow
from engine.errors import NotFoundError
from engine.models import Notice, NotificationChannel
from engine.org import Actor, get_actor
from engine.queries import Page
from engine.transaction import connection, current_unit, transaction

NOTICE = Notice.__table__
CHANNEL = NotificationChannel.__table__

_CHANNELS_OF = select(CHANNEL.c.id, CHANNEL.c.kind, CHANNEL.c.agency_id, CHANNEL.c.user_id).where(
    CHANNEL.c.active.is_(True), or_(CHANNEL.c.agency_id.in_(bindparam("agency_ids", expanding=True)),
                                    CHANNEL.c.user_id.in_(bindparam("user_ids", expanding=True))))


@dataclass(frozen=True)
class Recipient:
    agency_id: int
    user_id: int | None  # None: the whole agency (its supervisors read agency notices)


def send_notices(drafts: list[dict], *, at: datetime) -> int:
    """Write notices and their channel messages in the running command; return how many were new.

    Each draft names kind, key, recipient and message, and may name task_id, case_id, step_id and
    sent_by_id. A draft whose key was sent before is skipped.
    """
    if not drafts:
        return 0
    conn = current_unit().conn
    values = [{"dedupe_key": d["key"], "kind": d["kind"], "agency_id": d["recipient"].agency_id,
               "user_id": d["recipient"].user_id, "message": d["message"], "created_at": at,
               **{name: d.get(name) for name in ("task_id", "case_id", "step_id", "sent_by_id")}} for d in drafts]
    statement = (insert_skipping_taken(conn, NOTICE, keys=["dedupe_key"])
                 .returning(NOTICE.c.id, NOTICE.c.agency_id, NOTICE.c.user_id))
    created = conn.execute(statement, values).all()
    if created:
        channels = conn.execute(_CHANNELS_OF, {"agency_ids": sorted({n.agency_id for n in created}),
                                               "user_ids": sorted({n.user_id for n in created if n.user_id})}).all()
        outbox.enqueue_many([
            (channel.kind, f"notice:{notice.id}:channel:{channel.id}",
             {"notice_id": notice.id, "channel_id": channel.id})
            for notice in created for channel in channels if _reaches(channel, notice)])
    return len(created)


def _reaches(channel, notice) -> bool:
    # A notice to one user goes to that user's channels; a notice to an agency to the agency's.
    return channel.user_id == notice.user_id if notice.user_id else channel.agency_id == notice.agency_id


def send_notice(*, kind: str, key: str, recipient: Recipient, message: str, at: datetime, **about) -> int:
    """Write one notice (see send_notices); return 1, or 0 if `key` was sent before."""
    return send_notices([{"kind": kind, "key": key, "recipient": recipient, "message": message, **about}], at=at)


def _addressed_to(actor: Actor):
    # An agency's notices reach everyone in it; a notice to one user reaches that user only.
    return and_(NOTICE.c.agency_id == actor.agency_id,
                or_(NOTICE.c.user_id.is_(None), NOTICE.c.user_id == actor.id))


def list_notices(*, actor: Actor, unread: bool = False, page: int = 1, page_size: int = 20,
                 unread_first: bool = False) -> Page:
    """The notices addressed to the actor (to their agency, or to them), newest first (unread ones first)."""
    order = (NOTICE.c.read_at.is_not(None), NOTICE.c.id.desc()) if unread_first else (NOTICE.c.id.desc(),)
    query = select(NOTICE).where(_addressed_to(actor)).order_by(*order)
    if unread:
        query = query.where(NOTICE.c.read_at.is_(None))
    total = connection().execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = connection().execute(query.limit(page_size).offset((page - 1) * page_size))
    return Page([dict(row._mapping) for row in rows], total, page, page_size)


def mark_notice_read(*, notice_id: int, username: str) -> dict:
    """Mark a notice addressed to the user (or their agency) as read; reading it again changes nothing."""
    with transaction() as unit:
        actor = get_actor(username)
        notice = unit.conn.execute(select(NOTICE).where(NOTICE.c.id == notice_id, _addressed_to(actor))).first()
        if notice is None:
            raise NotFoundError(f"notice {notice_id} does not exist or is not addressed to you")
        if notice.read_at is None:
            unit.conn.execute(update(NOTICE).where(NOTICE.c.id == notice_id).values(read_at=utcnow()))
        return dict(unit.conn.execute(select(NOTICE).where(NOTICE.c.id == notice_id)).one()._mapping)

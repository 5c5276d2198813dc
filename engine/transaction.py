"""One command, one transaction on one connection, one commit: or nothing at all.

A command runs its prebuilt Core statements on its own connection (no ORM session: its unit of work
would cost more than the engine). Code that runs inside a command reaches that connection through
`connection()`; outside a command, `connection()` is the request's session connection, for reads.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import Connection, insert
from sqlalchemy.exc import IntegrityError, OperationalError

from engine.db import db
from engine.errors import ConflictError
from engine.models import AuditEvent

_INSERT_AUDIT_EVENTS = insert(AuditEvent.__table__).inline()  # their ids are not read back


class Unit:
    """A running command: its connection, the audit events it will write, what to do after commit."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.audit_events: list[dict] = []
        self.outbox_ids: list[int] = []  # messages it enqueued, handed to the dispatcher after commit
        self.context: dict = {}  # what the command tells the code it runs (a return's reason, say)
        self.reference_stamp: int | None = None  # see engine/reference.py
        self._after_commit: list[Callable[[], None]] = []

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)


_current: ContextVar[Unit | None] = ContextVar("gongzhi_command", default=None)


def running_unit() -> Unit | None:
    """The running command, or None outside commands."""
    return _current.get()


def current_unit() -> Unit:
    unit = running_unit()
    if unit is None:
        raise RuntimeError("no command is running: wrap the work in engine.transaction.transaction()")
    return unit


def connection() -> Connection:
    """The running command's connection, else the session's (for reads outside commands)."""
    unit = running_unit()
    return unit.conn if unit is not None else db.session.connection()


@contextmanager
def transaction() -> Iterator[Unit]:
    """Run a command: commit what the block did, with its audit events, or roll all of it back."""
    if _current.get() is not None:
        raise RuntimeError("commands do not nest: each one is its own transaction")
    with db.engine.connect() as conn:
        unit = Unit(conn)
        token = _current.set(unit)
        try:
            with conn.begin():
                yield unit
                if unit.audit_events:
                    conn.execute(_INSERT_AUDIT_EVENTS, unit.audit_events)
        except IntegrityError as error:
            raise ConflictError(f"the change conflicts with data saved meanwhile: {error.orig}") from None
        except OperationalError as error:
            if "locked" in str(error.orig):
                raise ConflictError("the database is busy with another change; try again") from None
            raise
        finally:
            _current.reset(token)
    for callback in unit._after_commit:
        callback()

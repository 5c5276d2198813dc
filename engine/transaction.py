"""One command, one transaction, one commit: or nothing at all."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from engine import audit
from engine.case_store import STALE_MESSAGE
from engine.db import db
from engine.errors import ConflictError


class Unit:
    """What a command registers to happen once its transaction has committed."""

    def __init__(self):
        self._after_commit: list[Callable[[], None]] = []

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)


@contextmanager
def transaction() -> Iterator[Unit]:
    """Commit what the block did, with its audit events, or roll all of it back and re-raise."""
    unit = Unit()
    try:
        yield unit
        audit.write_pending()
        db.session.commit()
    except StaleDataError:
        _rollback()
        raise ConflictError(STALE_MESSAGE) from None
    except IntegrityError as error:
        _rollback()
        raise ConflictError(f"the change conflicts with data saved meanwhile: {error.orig}") from None
    except OperationalError as error:
        _rollback()
        if "locked" in str(error.orig):
            raise ConflictError("the database is busy with another change; try again") from None
        raise
    except BaseException:
        _rollback()
        raise
    for callback in unit._after_commit:
        callback()


def _rollback() -> None:
    audit.discard_pending()
    db.session.rollback()

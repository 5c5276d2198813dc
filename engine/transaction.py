"""One command, one transaction, one commit: or nothing at all."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from engine.db import db
from engine.errors import ConflictError

STALE_MESSAGE = "the case was changed by someone else at the same time; reload it and try again"


@contextmanager
def transaction() -> Iterator[None]:
    """Commit what the block did, or roll all of it back and re-raise."""
    try:
        yield
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise ConflictError(STALE_MESSAGE) from None
    except IntegrityError as error:
        db.session.rollback()
        raise ConflictError(f"the change conflicts with data saved meanwhile: {error.orig}") from None
    except OperationalError as error:
        db.session.rollback()
        if "locked" in str(error.orig):
            raise ConflictError("the database is busy with another change; try again") from None
        raise
    except BaseException:
        db.session.rollback()
        raise

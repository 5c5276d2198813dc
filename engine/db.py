"""The database handle, the column types every model shares, and the connection settings."""

import os
import select
from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import Pool
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given: use an aware datetime in UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def insert_skipping_taken(conn, table, *, keys: list[str]):
    """INSERT ... ON CONFLICT (keys) DO NOTHING, in the connection's dialect (PostgreSQL or SQLite)."""
    insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing(index_elements=keys)


def utcnow() -> datetime:
    return datetime.now(UTC)


SQLITE_SYNCHRONOUS = ("FULL", "NORMAL")


def sqlite_synchronous() -> str:
    """SQLite's commit durability (GONGZHI_SQLITE_SYNCHRONOUS): FULL (the default) or NORMAL."""
    value = os.environ.get("GONGZHI_SQLITE_SYNCHRONOUS", "FULL").strip().upper()
    if value not in SQLITE_SYNCHRONOUS:
        raise ValueError(f"GONGZHI_SQLITE_SYNCHRONOUS={value!r} is not understood: write FULL or NORMAL")
    return value


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record):
    # WAL lets readers run beside the one writer. FULL syncs every commit to disk; with WAL, NORMAL
    # survives a crash of the application but not of the machine (a power cut can lose the last commits,
    # never the file), and saves about a quarter of a command's time.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={sqlite_synchronous()}")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def _readable(fd: int) -> bool:
    if hasattr(select, "poll"):  # no limit on descriptor numbers, unlike select()
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([fd], [], [], 0)[0])


@event.listens_for(Pool, "checkout")
def _refuse_closed_connection(dbapi_connection, _record, _proxy):
    """Hand out no PostgreSQL connection the server has closed, without a round trip in the usual case.

    An idle connection has nothing to read. One whose server restarted or ended the session has its
    socket readable (the goodbye, or the end of the stream): only then is it pinged, and if the ping
    fails the pool connects afresh.
    """
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return
    try:
        if dbapi_connection.closed:
            raise ConnectionError("closed")
        if _readable(pgconn.socket):
            dbapi_connection.execute("SELECT 1")
            dbapi_connection.rollback()
    except Exception as error:  # whatever failed, this connection is no good
        raise DisconnectionError("the database server closed this connection") from error

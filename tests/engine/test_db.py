"""Connection settings: SQLite's commit durability, and no dead PostgreSQL connection handed out."""

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from engine import start_case
from engine.db import db, sqlite_synchronous

NOISE = {"category": "noise", "location": "sjm-duntou-g1", "description": "噪音"}
SYNCHRONOUS_LEVELS = {1: "NORMAL", 2: "FULL"}


@pytest.mark.parametrize("setting, level", [(None, "FULL"), ("normal", "NORMAL"), ("FULL", "FULL")])
def test_sqlite_commits_are_as_durable_as_configured(tmp_path, monkeypatch, setting, level):
    if setting is None:
        monkeypatch.delenv("GONGZHI_SQLITE_SYNCHRONOUS", raising=False)
    else:
        monkeypatch.setenv("GONGZHI_SQLITE_SYNCHRONOUS", setting)
    engine = create_engine(f"sqlite:///{tmp_path / 'settings.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert SYNCHRONOUS_LEVELS[connection.exec_driver_sql("PRAGMA synchronous").scalar()] == level
    engine.dispose()


def test_an_unknown_sqlite_durability_is_refused_with_the_values_to_write(monkeypatch):
    monkeypatch.setenv("GONGZHI_SQLITE_SYNCHRONOUS", "off")
    with pytest.raises(ValueError, match="write FULL or NORMAL"):
        sqlite_synchronous()


def test_connections_the_server_closed_are_replaced_before_a_command_uses_them(app, demo):
    if app.config["BACKEND"] != "postgres":
        pytest.skip("a PostgreSQL server closing its sessions")
    start_case(process_id="diversion", data=NOISE)  # the pool now holds connections
    db.session.remove()
    # The server ends every session of the database (a restart, an idle timeout, an administrator).
    admin = create_engine(db.engine.url, poolclass=NullPool)
    with admin.connect() as connection:
        ended = connection.execute(text(  # each call waits (up to 5 s) until that session has gone
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    admin.dispose()
    assert ended >= 1

    case = start_case(process_id="diversion", data=NOISE)
    assert case.open_tasks

"""Test fixtures: a real SQLite file always, and PostgreSQL when GONGZHI_TEST_POSTGRES_URL is set."""

import os

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text

from engine.db import db
from engine.demo.load import load_demo
from engine.reference import REFERENCE
from engine.workflow_cache import WORKFLOWS
from web.app import MIGRATIONS_DIR, create_app
from web.config import database_url

POSTGRES_URL = os.environ.get("GONGZHI_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]


def _drop_everything(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        names = inspect(connection).get_table_names()
        if names:
            connection.execute(text(f"DROP TABLE IF EXISTS {', '.join(names)} CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_app(request, tmp_path_factory):
    """An app on a freshly migrated database of one backend, shared by the tests of a session."""
    instance = tmp_path_factory.mktemp(f"instance-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{instance / 'gongzhi-test.db'}"
    else:
        os.environ.setdefault("GONGZHI_DATABASE_URL", POSTGRES_URL)
        url = database_url(str(instance)) if os.environ["GONGZHI_DATABASE_URL"] == POSTGRES_URL else \
            "postgresql+psycopg://" + POSTGRES_URL.split("://", 1)[1]
        _drop_everything(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "test"},
                     instance_path=str(instance))
    app.config["BACKEND"] = request.param
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
    return app


@pytest.fixture
def app(migrated_app):
    """The app, inside an app context, with every table emptied afterwards."""
    with migrated_app.app_context():
        yield migrated_app
        db.session.remove()
        WORKFLOWS.clear()  # case ids start again at 1 in the next test
        REFERENCE.clear()
        tables = [table.name for table in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as connection:
            if migrated_app.config["BACKEND"] == "postgres":
                connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for name in tables:
                    connection.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def demo(app):
    """The demo agency tree and users, with bpmn/ deployed."""
    return load_demo()

"""Fixtures of the web tests."""

import pytest

from engine.db import db
from web.app import create_app
from web.cli import main


@pytest.fixture
def cli(app):
    """Run a `gongzhi` command on the test app; return click's result."""
    runner = app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def site(app, demo, tmp_path):
    """A fresh app on the test database with the demo loaded, for page tests (tests/web/page_steps.py).

    Each request gets its own app context, as on a server, so the logged-in user is never carried over.
    """
    web = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                      "SECRET_KEY": "test"}, instance_path=str(tmp_path))
    yield web
    with web.app_context():
        db.engine.dispose()

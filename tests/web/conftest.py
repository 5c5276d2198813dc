"""Fixtures of the web tests."""

import pytest

from web.cli import main


@pytest.fixture
def cli(app):
    """Run a `gongzhi` command on the test app; return click's result."""
    runner = app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke

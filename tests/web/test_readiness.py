"""/ready: what a load balancer asks before sending a web process traffic (/health stays liveness)."""

import os

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from engine.db import db
from engine.schema_version import MIGRATIONS_DIR, _script
from web.app import create_app

REDIS_URL = os.environ.get("GONGZHI_TEST_REDIS_URL")
RABBITMQ_URL = os.environ.get("GONGZHI_TEST_RABBITMQ_URL")


def sqlite_app(tmp_path, **config):
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'ready.db'}", **config},
                      instance_path=str(tmp_path))


def ready(app):
    response = app.test_client().get("/ready")
    return response.status_code, response.get_json()


def test_a_migrated_database_is_ready(app):
    assert ready(app) == (200, {"status": "ready", "checks": {"database": "ok", "schema": "ok"}})


def test_an_unreachable_database_is_not_ready_and_says_so(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"},
                     instance_path=str(tmp_path))
    status, body = ready(app)
    assert status == 503
    assert body["status"] == "not ready"
    assert body["not_ready"] == ["database", "schema"]
    assert body["checks"]["database"].startswith("unreachable: ")


def test_a_database_never_migrated_is_not_ready_until_upgraded(tmp_path):
    app = sqlite_app(tmp_path)
    status, body = ready(app)
    assert (status, body["not_ready"]) == (503, ["schema"])
    assert body["checks"] == {"database": "ok",
                              "schema": "the database has no schema yet: run `gongzhi db upgrade`"}
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        db.engine.dispose()
    assert ready(app)[0] == 200


def test_a_database_one_migration_behind_names_both_revisions(tmp_path):
    [head] = _script().get_heads()
    previous = _script().get_revision(head).down_revision
    app = sqlite_app(tmp_path)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR), revision=previous)
        db.engine.dispose()
    status, body = ready(app)
    assert (status, body["not_ready"]) == (503, ["schema"])
    assert body["checks"]["schema"] == (f"the database is at migration {previous}, the code needs {head}: "
                                        "run `gongzhi db upgrade`")


def test_a_database_migrated_by_newer_code_asks_for_that_code(tmp_path):
    app = sqlite_app(tmp_path)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
        db.engine.dispose()
    status, body = ready(app)
    assert status == 503
    assert "9999_from_the_future" in body["checks"]["schema"]
    assert "deploy the newer code" in body["checks"]["schema"]


def test_an_unreachable_broker_makes_the_platform_not_ready(migrated_app, tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": migrated_app.config["SQLALCHEMY_DATABASE_URI"],
                      "BROKER_URL": "redis://127.0.0.1:1/0"}, instance_path=str(tmp_path))
    status, body = ready(app)
    assert (status, body["not_ready"]) == (503, ["broker"])
    assert body["checks"]["broker"].startswith("unreachable: ")
    assert "Connection refused" in body["checks"]["broker"] or "connecting" in body["checks"]["broker"]
    with app.app_context():
        db.engine.dispose()


def test_a_broker_with_a_wrong_password_is_not_ready(migrated_app, tmp_path):
    if not RABBITMQ_URL:
        pytest.skip("set GONGZHI_TEST_RABBITMQ_URL to check a RabbitMQ broker (.ci/run does)")
    scheme, rest = RABBITMQ_URL.split("://", 1)
    hostpart = rest.split("@", 1)[-1]
    app = create_app({"SQLALCHEMY_DATABASE_URI": migrated_app.config["SQLALCHEMY_DATABASE_URI"],
                      "BROKER_URL": f"{scheme}://nobody:wrong@{hostpart}"}, instance_path=str(tmp_path))
    status, body = ready(app)
    assert (status, body["not_ready"]) == (503, ["broker"])
    assert "wrong" not in body["checks"]["broker"]  # the password is never shown
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("url", [
    pytest.param(REDIS_URL, id="redis", marks=pytest.mark.skipif(not REDIS_URL, reason="set GONGZHI_TEST_REDIS_URL")),
    pytest.param(RABBITMQ_URL, id="rabbitmq",
                 marks=pytest.mark.skipif(not RABBITMQ_URL, reason="set GONGZHI_TEST_RABBITMQ_URL")),
])
def test_a_reachable_broker_is_ready(migrated_app, tmp_path, url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": migrated_app.config["SQLALCHEMY_DATABASE_URI"],
                      "BROKER_URL": url}, instance_path=str(tmp_path))
    assert ready(app) == (200, {"status": "ready", "checks": {"database": "ok", "schema": "ok", "broker": "ok"}})
    with app.app_context():
        db.engine.dispose()

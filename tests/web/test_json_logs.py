"""Structured logs: with GONGZHI_LOG_FORMAT=json every record is one JSON line, and each request one access line."""

import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.web.api_client import as_user
from tests.web.page_steps import PASSWORD, log_in
from web.app import create_app
from web.logs import LoggingConfigError, RequestIdFilter, log_format, logging_config, make_formatter

REDIS_URL = os.environ.get("GONGZHI_TEST_REDIS_URL")
GONGZHI = str(Path(sys.executable).parent / "gongzhi")


@pytest.fixture
def json_lines():
    """Log through the JSON formatter and filter a process configured with GONGZHI_LOG_FORMAT=json uses.

    (Not dictConfig itself here: it would close pytest's own log handlers.) Return a reader of the lines.
    """
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(make_formatter("json"))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    def read():
        return [json.loads(line) for line in stream.getvalue().splitlines()]  # every line parses, or it fails

    read.raw = stream.getvalue
    yield read
    root.removeHandler(handler)
    root.setLevel(level)


def test_the_json_configuration_uses_that_formatter_and_filter():
    config = logging_config("json", "INFO")
    assert config["formatters"]["gongzhi"] == {"()": make_formatter, "kind": "json"}
    assert config["handlers"]["stderr"]["filters"] == ["request_id"]
    assert config["filters"]["request_id"] == {"()": RequestIdFilter}
    assert config["root"] == {"level": "INFO", "handlers": ["stderr"]}


def access_lines(lines):
    return [line for line in lines if line["logger"] == "gongzhi.access"]


def test_a_request_is_one_json_access_line_with_its_request_id(app, demo, json_lines):
    response = as_user(app, "sjm-police").get("/tasks?view=agency")
    assert response.status_code == 200
    [line] = access_lines(json_lines())
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert len(line["request_id"]) == 32
    assert {key: line[key] for key in ("level", "method", "path", "route", "status", "user")} == {
        "level": "INFO", "method": "GET", "path": "/api/v1/tasks", "route": "/api/v1/tasks", "status": 200,
        "user": "sjm-police"}
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert line["time"].endswith("+00:00") and "T" in line["time"]
    assert line["message"].startswith("GET /api/v1/tasks 200 ")


def test_a_callers_request_id_is_kept_and_echoed_and_a_nonsensical_one_replaced(app, json_lines):
    client = app.test_client()
    given = client.get("/health", headers={"X-Request-ID": "lb-7f3a.91"})
    odd = client.get("/health", headers={"X-Request-ID": "x" * 500})
    assert given.headers["X-Request-ID"] == "lb-7f3a.91"
    assert odd.headers["X-Request-ID"] != "x" * 500 and len(odd.headers["X-Request-ID"]) == 32
    assert [line["request_id"] for line in access_lines(json_lines())] == [
        "lb-7f3a.91", odd.headers["X-Request-ID"]]


def test_a_page_request_names_the_user_it_was_served_to_and_an_anonymous_one_nobody(site, json_lines):
    client = site.test_client()
    log_in(client, "pt-mediator")
    assert client.get("/inbox").status_code == 200
    lines = access_lines(json_lines())
    assert [(line["method"], line["route"], line["user"]) for line in lines] == [
        ("GET", "/login", None), ("POST", "/login", "pt-mediator"), ("GET", "/inbox", "pt-mediator")]
    assert PASSWORD not in json.dumps(lines)


def test_a_survey_link_is_logged_as_its_route_never_as_the_token(app, json_lines):
    secret = uuid.uuid4().hex
    app.test_client().get(f"/survey/{secret}")
    [line] = access_lines(json_lines())
    assert line["path"] == line["route"] == "/survey/<token>"
    assert secret not in json.dumps(line)


def test_records_logged_while_serving_a_request_carry_its_id_and_errors_their_traceback(tmp_path, json_lines):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'logs.db'}"}, instance_path=str(tmp_path))

    @app.get("/boom")
    def boom():
        app.logger.warning("about to fail: %s", "故意的")
        raise RuntimeError("a bug")

    response = app.test_client().get("/boom", headers={"X-Request-ID": "req-1"})
    assert response.status_code == 500
    lines = json_lines()
    warning = next(line for line in lines if line["message"] == "about to fail: 故意的")
    assert "故意的" in json_lines.raw()  # Chinese stays readable, not \u-escaped
    error = next(line for line in lines if line["level"] == "ERROR")
    assert warning["request_id"] == error["request_id"] == "req-1"
    assert "RuntimeError: a bug" in error["exc_info"]
    assert access_lines(lines)[0]["status"] == 500


def test_text_is_the_default_and_an_unknown_format_is_refused_clearly(monkeypatch):
    monkeypatch.delenv("GONGZHI_LOG_FORMAT", raising=False)
    assert log_format() == "text"
    monkeypatch.setenv("GONGZHI_LOG_FORMAT", "JSON")
    assert log_format() == "json"
    monkeypatch.setenv("GONGZHI_LOG_FORMAT", "xml")
    with pytest.raises(LoggingConfigError, match=r"GONGZHI_LOG_FORMAT='xml'.*text, json"):
        log_format()


@pytest.mark.skipif(not REDIS_URL, reason="the scheduler needs a broker: set GONGZHI_TEST_REDIS_URL")
def test_the_scheduler_logs_json_lines_too(app, tmp_path):
    env = {**os.environ, "GONGZHI_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "GONGZHI_SECRET_KEY": "t",
           "GONGZHI_BROKER_URL": REDIS_URL, "GONGZHI_QUEUE_NAME": f"test-{uuid.uuid4().hex[:12]}",
           "GONGZHI_LOG_FORMAT": "json"}
    errors = tmp_path / "scheduler.err"
    with errors.open("w") as stderr:
        process = subprocess.Popen([GONGZHI, "scheduler", "--interval", "0.2"], env=env, cwd=tmp_path,
                                   stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
    try:
        # An empty database has no working-day calendar: the scheduler warns of it when it starts.
        deadline = time.monotonic() + 60
        while "no working-day calendar" not in errors.read_text():
            assert process.poll() is None, errors.read_text()
            assert time.monotonic() < deadline, errors.read_text()
            time.sleep(0.1)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait()
    lines = [json.loads(line) for line in errors.read_text().splitlines() if line.strip()]
    warning = next(line for line in lines if "no working-day calendar" in line["message"])
    assert (warning["level"], warning["logger"]) == ("WARNING", "integrations.scheduler")


def test_behind_a_proxy_the_client_address_is_the_one_the_proxy_saw(tmp_path, json_lines, monkeypatch):
    headers = {"X-Forwarded-For": "198.51.100.7, 203.0.113.9"}  # the first hop is the client's own claim
    direct = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"}, instance_path=str(tmp_path))
    direct.test_client().get("/login", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.10"})
    monkeypatch.setenv("GONGZHI_PROXY_COUNT", "1")
    proxied = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"}, instance_path=str(tmp_path))
    proxied.test_client().get("/login", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.10"})
    assert [line["remote_addr"] for line in access_lines(json_lines())] == ["10.0.0.10", "203.0.113.9"]
    monkeypatch.setenv("GONGZHI_PROXY_COUNT", "one")
    with pytest.raises(ValueError, match="GONGZHI_PROXY_COUNT='one' is not a number"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, instance_path=str(tmp_path))

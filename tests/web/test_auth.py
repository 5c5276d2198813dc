"""Logging in and out, CSRF, the login rate limit, API tokens and the security headers."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from flask import jsonify

from engine.db import db
from engine.tokens import create_token, revoke_token
from web.app import create_app
from web.auth import current_username, rate_limiter, require_username

PASSWORD = "gongzhi-demo"
T0 = datetime(2026, 5, 11, 1, 0, tzinfo=UTC)


@pytest.fixture
def web(app, tmp_path):
    """A fresh app on the test database, with its own rate limiter and two routes that report who is asking.

    Unlike the `app` fixture's app, whose open app context makes test requests share `g`, it gives each
    request its own context, as a server does.
    """
    web = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                      "SECRET_KEY": "test"}, instance_path=str(tmp_path))

    @web.route("/whoami", methods=["GET", "POST"])
    def whoami():
        return jsonify(username=current_username())

    @web.route("/api/whoami", methods=["GET", "POST"])
    def api_whoami():
        return jsonify(username=require_username())

    yield web
    with web.app_context():
        db.engine.dispose()


@pytest.fixture
def client(web):
    return web.test_client()


def csrf_token(client, path="/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def log_in(client, username="sjm-police", password=PASSWORD, **extra):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(client), **extra})


def test_the_login_page_speaks_chinese_with_labelled_fields_and_no_outside_assets(client):
    response = client.get("/login")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in page and "登录" in page
    assert '<label for="username">用户名</label>' in page and 'id="username"' in page
    assert '<label for="password">密码</label>' in page and 'autocomplete="current-password"' in page
    assert 'name="viewport" content="width=device-width' in page
    assert "<script" not in page and "http://" not in page and "https://" not in page


def test_logging_in_opens_a_session_and_logging_out_ends_it(client, demo):
    assert "已登录" not in client.get("/").get_data(as_text=True)
    response = log_in(client)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "已登录：" in home and "sjm-police" in home and "退出登录" in home
    # A logged-in user who opens the login page again goes home instead.
    assert client.get("/login").status_code == 302

    logout = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert logout.status_code == 302 and logout.headers["Location"] == "/login"
    assert "您已退出登录" in client.get("/login").get_data(as_text=True)
    assert "已登录" not in client.get("/").get_data(as_text=True)


def test_a_wrong_password_or_unknown_user_gets_the_same_message_not_a_redirect(client, demo):
    wrong = log_in(client, password="guess")
    unknown = log_in(client, username="nobody")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "用户名或密码错误" in response.get_data(as_text=True)
    assert 'value="nobody"' in unknown.get_data(as_text=True)  # the username is kept, the password is not
    assert "已登录" not in client.get("/").get_data(as_text=True)


def test_empty_fields_are_a_400_that_says_what_is_missing(client, demo):
    response = log_in(client, username="", password="")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "请输入用户名" in page and "请输入密码" in page


def test_forms_without_a_csrf_token_are_refused(client, demo):
    response = client.post("/login", data={"username": "sjm-police", "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True) and "刷新页面" in response.get_data(as_text=True)
    log_in(client)
    assert client.post("/logout").status_code == 400
    assert "已登录" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(("target", "expected"), [
    ("/health", "/health"), ("/?tab=tasks", "/?tab=tasks"), ("https://evil.example/", "/"),
    ("//evil.example/", "/"), ("/\\evil.example", "/"), ("/\t/evil.example", "/"), ("javascript:alert(1)", "/"),
])
def test_after_login_only_local_paths_are_followed(client, demo, target, expected):
    response = log_in(client, next=target)
    assert response.status_code == 302 and response.headers["Location"] == expected


def test_the_eleventh_login_attempt_in_a_minute_gets_a_429_in_chinese(client, demo):
    with time_machine.travel(T0, tick=False) as traveller:
        for _ in range(10):
            assert log_in(client, password="guess").status_code == 200
        blocked = log_in(client)
        assert blocked.status_code == 429
        assert "登录尝试过于频繁" in blocked.get_data(as_text=True)
        assert 0 < int(blocked.headers["Retry-After"]) <= 61
        # Asking for the page is not an attempt.
        assert client.get("/login").status_code == 200
        traveller.shift(61)
        assert log_in(client).status_code == 302


def test_each_app_counts_attempts_in_its_own_storage(app, client, demo, tmp_path):
    other = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True,
                        "SECRET_KEY": "test", "LOGIN_RATE_LIMIT": "1 per minute"}, instance_path=str(tmp_path))
    try:
        strict = other.test_client()
        assert log_in(strict, password="guess").status_code == 200
        assert log_in(strict, password="guess").status_code == 429
        assert log_in(client).status_code == 302
        rate_limiter(other).reset()
        assert log_in(strict).status_code == 302
    finally:
        with other.app_context():
            db.engine.dispose()


def test_a_malformed_rate_limit_setting_stops_the_app_from_starting(tmp_path):
    with pytest.raises(ValueError, match="write it like '10 per minute'"):
        create_app({"LOGIN_RATE_LIMIT": "often"}, instance_path=str(tmp_path))


@pytest.mark.parametrize("path", ["/", "/login", "/health", "/no-such-page", "/static/no-such.css",
                                  "/api/v1/no-such-resource"])
def test_every_response_carries_the_security_headers(client, demo, path):
    response = client.get(path)
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers
    assert "max-age=" in client.get(path, base_url="https://localhost").headers["Strict-Transport-Security"]


def test_a_bearer_token_authenticates_without_csrf(client, demo):
    token = create_token(username="sjm-police", name="110 接警推送").token
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/whoami", headers=bearer).get_json() == {"username": "sjm-police"}
    assert client.get("/whoami").get_json() == {"username": None}
    response = client.post("/api/whoami", headers=bearer)
    assert response.status_code == 200 and response.get_json() == {"username": "sjm-police"}
    # Outside the API prefix, CSRFProtect still guards every POST.
    assert client.post("/whoami", headers=bearer).status_code == 400


def test_bad_or_revoked_tokens_are_401_even_beside_a_session(client, demo):
    created = create_token(username="sjm-police", name="110 接警推送")
    anonymous = client.get("/api/whoami")
    assert anonymous.status_code == 401
    assert "log in" in anonymous.get_data(as_text=True).lower()

    log_in(client, username="pt-dispatcher")
    assert client.get("/whoami").get_json() == {"username": "pt-dispatcher"}
    for header in ("Bearer gz_not-a-real-token", "Basic c2pt", "Bearer", f"Bearer {created.token}x"):
        assert client.get("/whoami", headers={"Authorization": header}).get_json() == {"username": None}
        response = client.get("/api/whoami", headers={"Authorization": header})
        assert response.status_code == 401 and "revoked" in response.get_data(as_text=True)
    revoke_token(token_id=created.id)
    assert client.get("/api/whoami", headers={"Authorization": f"Bearer {created.token}"}).status_code == 401


def test_unsafe_api_calls_on_a_session_need_the_csrf_header(client, demo):
    log_in(client)
    assert client.get("/api/whoami").get_json() == {"username": "sjm-police"}
    refused = client.post("/api/whoami")
    assert refused.status_code == 400 and "X-CSRFToken" in refused.get_data(as_text=True)
    response = client.post("/api/whoami", headers={"X-CSRFToken": csrf_token(client, "/")})
    assert response.status_code == 200 and response.get_json() == {"username": "sjm-police"}


def test_a_form_left_open_for_hours_still_submits(client, demo):
    with time_machine.travel(T0, tick=False) as traveller:
        log_in(client)
        token = csrf_token(client, "/")
        traveller.shift(3 * 3600)
        assert client.post("/logout", data={"csrf_token": token}).status_code == 302

"""Who is asking: session login for pages, API tokens for machines; CSRF, login rate limit, security headers.

Pages log in with a password and keep the user in Flask's signed session cookie. Machine clients send
`Authorization: Bearer gz_...`. The API (under API_PREFIX) skips CSRFProtect's automatic check, because
a token request carries no cookie to forge; `require_username()` checks CSRF itself when an API call is
authenticated by the session cookie instead.
"""

from dataclasses import dataclass

from flask import Flask, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect, validate_csrf
from limits import parse_many
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import BadRequest, Unauthorized
from wtforms import ValidationError

from engine.tokens import authenticate_token
from engine.users import UserView, get_user

API_PREFIX = "/api/"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    # The templates carry their own <style> blocks for now.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
HSTS = "max-age=31536000"
LOGIN_REQUIRED_MESSAGE = ("请先登录，或在请求头中提供 API 令牌。"
                          "Log in, or send an API token: Authorization: Bearer gz_...")
BAD_TOKEN_MESSAGE = ("API 令牌无效、已吊销或其用户已停用。"
                     "The API token is malformed, unknown or revoked, or its user is disabled: "
                     "send Authorization: Bearer gz_... with an active token.")
_LIMITER = "gongzhi.limiter"
_AUTH_KEY = "gongzhi.auth"

# CSRFProtect and LoginManager keep no per-app state, so one of each serves every app.
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in first.")
login_manager.login_message_category = "info"
login_manager.localize_callback = str  # the flashed message is stored in the session as text


@dataclass(frozen=True, eq=False)
class SessionUser(UserMixin):
    """The logged-in user of a page request, as Flask-Login and the templates see them."""

    username: str
    display_name: str
    agency_name: str
    roles: tuple[str, ...]

    @classmethod
    def of(cls, user: UserView) -> "SessionUser":
        return cls(user.username, user.display_name, user.agency_name, user.roles)

    def get_id(self) -> str:
        return self.username


@login_manager.user_loader
def _load_user(username: str) -> SessionUser | None:
    # A disabled or deleted user's session stops working at their next request.
    user = get_user(username)
    return SessionUser.of(user) if user is not None else None


def init_auth(app: Flask) -> None:
    """Install login, CSRF protection, the login rate limiter and the security headers on an app."""
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    # A form's CSRF token lives as long as the session: staff leave forms open on phones for hours.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("LOGIN_RATE_LIMIT", "10 per minute")
    try:
        parse_many(app.config["LOGIN_RATE_LIMIT"])
    except ValueError:
        raise ValueError(f"LOGIN_RATE_LIMIT {app.config['LOGIN_RATE_LIMIT']!r} is not a rate limit: "
                         "write it like '10 per minute'") from None
    login_manager.init_app(app)
    csrf.init_app(app)
    # CSRFProtect's own hook would also check the API; this one skips API_PREFIX (views and blueprints
    # passed to csrf.exempt() stay exempt too).
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.before_request(_protect_forms)
    app.register_error_handler(CSRFError, _csrf_failed)
    # One limiter per app, so each app (and each test app) counts in its own storage.
    app.extensions[_LIMITER] = Limiter(get_remote_address, app=app, headers_enabled=True)
    app.after_request(_add_security_headers)


def _protect_forms() -> None:
    if current_app.config["WTF_CSRF_ENABLED"] and not request.path.startswith(API_PREFIX):
        csrf.protect(apply_exemptions=True)


def _csrf_failed(error: CSRFError):
    # Only forms get here: the API's own check raises a plain BadRequest for its error handler.
    return render_template(
        "message.html", title=_("The request could not be verified"),
        message=_("The form has expired or lacks its security token (CSRF): go back, reload the page and try "
                  "again."), detail=error.description, back_url=url_for("health.home"),
        back_label=_("Back to the home page")), 400


def _add_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def rate_limiter(app: Flask | None = None) -> Limiter:
    """Return the app's rate limiter (tests reset it with `.reset()`)."""
    return (app or current_app).extensions[_LIMITER]


def limit_login_attempts() -> None:
    """Count a login attempt from the client's address; past LOGIN_RATE_LIMIT raise RateLimitExceeded (429)."""
    with rate_limiter().limit(current_app.config["LOGIN_RATE_LIMIT"]):
        pass


def _authenticate() -> tuple[str | None, str | None]:
    header = request.headers.get("Authorization")
    if header is not None:
        # A request that presents credentials is judged by them alone, never by a cookie beside them.
        scheme, _, credentials = header.strip().partition(" ")
        if scheme.lower() != "bearer":
            return None, "token"
        return authenticate_token(credentials.strip()), "token"
    if current_user.is_authenticated:
        return current_user.username, "session"
    return None, None


def _request_auth() -> tuple[str | None, str | None]:
    # Kept on the request, not on `g`: tests that hold an app context open share `g` between requests.
    if _AUTH_KEY not in request.environ:
        request.environ[_AUTH_KEY] = _authenticate()
    return request.environ[_AUTH_KEY]


def current_username() -> str | None:
    """Return who is asking: a valid Bearer token's user, else the logged-in user, else None.

    A request with an Authorization header that is not a valid, unrevoked token gets None, even when
    it also carries a session cookie.
    """
    return _request_auth()[0]


def require_username() -> str:
    """Return who is asking, or raise Unauthorized (401); check CSRF on unsafe cookie-authenticated calls.

    Bearer-token requests need no CSRF token. A request authenticated by the session cookie with
    POST, PUT, PATCH or DELETE must send the page's CSRF token in the X-CSRFToken header, else BadRequest (400).
    """
    username, method = _request_auth()
    if username is None:
        raise Unauthorized(BAD_TOKEN_MESSAGE if method == "token" else LOGIN_REQUIRED_MESSAGE,
                           www_authenticate=WWWAuthenticate("Bearer", {"realm": "gongzhi"}))
    if method == "session" and request.method in UNSAFE_METHODS and current_app.config["WTF_CSRF_ENABLED"]:
        token = next((request.headers[name] for name in current_app.config["WTF_CSRF_HEADERS"]
                      if request.headers.get(name)), None)
        try:
            validate_csrf(token)
        except ValidationError as error:
            raise BadRequest(
                f"CSRF 校验失败：{error.args[0]} A request authenticated by the session cookie must send the "
                "page's CSRF token (from <meta name=\"csrf-token\">) in the X-CSRFToken header; "
                "machine clients use Authorization: Bearer gz_... instead.") from None
    return username

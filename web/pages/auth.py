"""The login and logout pages."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from engine.users import verify_password
from web.auth import SessionUser, limit_login_attempts

auth = Blueprint("auth", __name__)

WRONG_CREDENTIALS = _l("Wrong username or password")
TOO_MANY_ATTEMPTS = _l("Too many login attempts: wait about a minute and try again.")


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(_l("Enter your username")),
                                                       Length(max=64, message=_l("The username is too long"))])
    # A cap keeps one request from making the password hash work on megabytes.
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password")),
                                                         Length(max=1024, message=_l("The password is too long"))])


def local_path(target: str | None) -> str | None:
    """Return `target` if it is a path on this site (safe to redirect to after login), else None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    # Browsers drop tabs and newlines from URLs, which could turn "/\t/evil.example" into "//evil.example".
    if any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


@auth.route("/login", methods=["GET", "POST"])
def login():
    next_path = local_path(request.args.get("next") or request.form.get("next"))
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(next_path or url_for("health.home"))
    form = LoginForm()
    if request.method == "GET":
        return render_template("login.html", form=form, next=next_path)
    limit_login_attempts()
    if not form.validate():
        return render_template("login.html", form=form, next=next_path), 400
    user = verify_password(username=form.username.data.strip(), password=form.password.data)
    if user is None:
        return render_template("login.html", form=form, next=next_path, error=WRONG_CREDENTIALS)
    # Nothing from before the login (an old CSRF token, another user's data) carries over.
    session.clear()
    login_user(SessionUser.of(user))
    return redirect(next_path or url_for("health.home"))


@auth.errorhandler(429)
def too_many_attempts(_error):
    return render_template("login.html", form=LoginForm(formdata=None), next=None, error=TOO_MANY_ATTEMPTS), 429


@auth.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))

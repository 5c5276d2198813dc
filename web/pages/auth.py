"""The login and logout pages."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from engine.users import verify_password
from web.auth import SessionUser, limit_login_attempts

auth = Blueprint("auth", __name__)

WRONG_CREDENTIALS = "用户名或密码错误"
TOO_MANY_ATTEMPTS = "登录尝试过于频繁，请稍后（约 1 分钟）再试。"


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64, message="用户名过长")])
    # A cap keeps one request from making the password hash work on megabytes.
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=1024, message="密码过长")])


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
    flash("您已退出登录。", "info")
    return redirect(url_for("auth.login"))

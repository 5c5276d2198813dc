"""The pages' language: Chinese by default, English on request (?lang=en, then remembered in a cookie).

Every UI string goes through gettext (`_()` in Python and templates); the msgids are English and
web/translations/<lang>/LC_MESSAGES/messages.po holds the translations (see docs/pages.md).
"""

from urllib.parse import urlencode

from flask import Flask, request
from flask_babel import Babel, get_locale

LANGUAGES = {"zh": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh"
HTML_LANG = {"zh": "zh-CN", "en": "en"}
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def _asked_language() -> str | None:
    asked = request.args.get("lang")
    return asked if asked in LANGUAGES else None


def select_language() -> str:
    """Return the language of this request: ?lang=, else the cookie, else Chinese."""
    cookie = request.cookies.get(COOKIE)
    return _asked_language() or (cookie if cookie in LANGUAGES else DEFAULT_LANGUAGE)


def _remember_language(response):
    asked = _asked_language()
    if asked and asked != request.cookies.get(COOKIE):
        response.set_cookie(COOKIE, asked, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True,
                            secure=request.is_secure)
    return response


def language_url(language: str) -> str:
    """Return the current page's URL in another language."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    return f"{request.path}?{urlencode([*args, ('lang', language)])}"


def _template_globals() -> dict:
    language = str(get_locale() or DEFAULT_LANGUAGE)
    return {"current_language": language, "html_lang": HTML_LANG.get(language, language),
            "languages": LANGUAGES, "language_url": language_url}


def init_i18n(app: Flask) -> None:
    """Install Flask-Babel with the platform's language choice on an app."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    Babel(app, locale_selector=select_language)
    app.after_request(_remember_language)
    app.context_processor(_template_globals)

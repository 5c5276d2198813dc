"""The application factory: the composition root of the web layer."""

import os
from functools import partial
from pathlib import Path

from flask import Flask
from flask_migrate import Migrate
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.db import db
from engine.schema_version import MIGRATIONS_DIR as ENGINE_MIGRATIONS
from integrations.broker import broker_problem
from web.api import init_api
from web.auth import init_auth
from web.config import build_config
from web.errors import init_errors
from web.health import add_readiness_check, health
from web.i18n import init_i18n
from web.logs import init_request_logging
from web.metrics import init_metrics
from web.open311 import open311
from web.pages import register_pages

MIGRATIONS_DIR = str(ENGINE_MIGRATIONS)


def create_app(config: dict | None = None, *, instance_path: str | None = None) -> Flask:
    """Create the Flask app; `config` overrides what the environment gives."""
    app = Flask(__name__, instance_path=instance_path or str(Path.cwd() / "instance"))
    app.config.update(build_config(app.instance_path))
    app.config.update(config or {})
    app.json.ensure_ascii = False  # Chinese stays readable in API responses
    _trust_proxies(app)
    # First, so every request is timed and logged, even one that a later hook refuses.
    init_request_logging(app)
    init_metrics(app)
    db.init_app(app)
    Migrate(app, db, directory=MIGRATIONS_DIR)
    init_auth(app)
    init_i18n(app)
    app.register_blueprint(health)
    if app.config["BROKER_URL"]:
        add_readiness_check(app, "broker", partial(broker_problem, app.config["BROKER_URL"]))
    register_pages(app)
    init_errors(app)
    init_api(app)
    app.register_blueprint(open311)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind GONGZHI_PROXY_COUNT proxies (a load balancer), take the client's address and scheme from them."""
    count = app.config.get("PROXY_COUNT", os.environ.get("GONGZHI_PROXY_COUNT") or "0")
    if not str(count).isdigit():
        raise ValueError(f"GONGZHI_PROXY_COUNT={count!r} is not a number: give how many proxies stand in front "
                         "of the web processes (1 for one load balancer), or 0")
    if int(count):
        # Only the last `count` hops of X-Forwarded-For/-Proto are believed: the ones our own proxies added.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(count), x_proto=int(count))

"""The application factory: the composition root of the web layer."""

from pathlib import Path

from flask import Flask
from flask_migrate import Migrate

import engine
from engine.db import db
from web.api import init_api
from web.auth import init_auth
from web.config import build_config
from web.errors import init_errors
from web.health import health
from web.i18n import init_i18n
from web.open311 import open311
from web.pages import register_pages

MIGRATIONS_DIR = str(Path(engine.__file__).parent / "migrations")


def create_app(config: dict | None = None, *, instance_path: str | None = None) -> Flask:
    """Create the Flask app; `config` overrides what the environment gives."""
    app = Flask(__name__, instance_path=instance_path or str(Path.cwd() / "instance"))
    app.config.update(build_config(app.instance_path))
    app.config.update(config or {})
    app.json.ensure_ascii = False  # Chinese stays readable in API responses
    db.init_app(app)
    Migrate(app, db, directory=MIGRATIONS_DIR)
    init_auth(app)
    init_i18n(app)
    app.register_blueprint(health)
    register_pages(app)
    init_errors(app)
    init_api(app)
    app.register_blueprint(open311)
    return app

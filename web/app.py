"""The application factory: the composition root of the web layer."""

from pathlib import Path

from flask import Flask
from flask_migrate import Migrate

import engine
from engine.db import db
from web.config import build_config
from web.health import health

MIGRATIONS_DIR = str(Path(engine.__file__).parent / "migrations")


def create_app(config: dict | None = None, *, instance_path: str | None = None) -> Flask:
    """Create the Flask app; `config` overrides what the environment gives."""
    app = Flask(__name__, instance_path=instance_path or str(Path.cwd() / "instance"))
    app.config.update(build_config(app.instance_path))
    app.config.update(config or {})
    db.init_app(app)
    Migrate(app, db, directory=MIGRATIONS_DIR)
    app.register_blueprint(health)
    return app

"""Server-rendered pages (Jinja), in Chinese by default."""

from flask import Flask

from web.pages.auth import auth


def register_pages(app: Flask) -> None:
    """Register the page blueprints on an app."""
    app.register_blueprint(auth)

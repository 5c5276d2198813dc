"""The Flask web layer: app factory, CLI, pages and (later) the API."""

from web.app import create_app

__all__ = ["create_app"]

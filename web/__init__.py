"""The Flask web layer: app factory, CLI, pages and the API."""


def __getattr__(name: str):
    # Lazy, so `gunicorn -c python:web.gunicorn_conf` runs its settings before the app's libraries load
    # (prometheus_client chooses its multiprocess mode on import).
    if name == "create_app":
        from web.app import create_app

        return create_app
    raise AttributeError(f"module 'web' has no attribute {name!r}")


__all__ = ["create_app"]

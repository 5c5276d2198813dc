"""The HTTP API under /api/v1 (flask-smorest + marshmallow), documented at /api/v1/openapi.json."""

from flask import Flask
from flask_smorest import Api

from web.api import agencies, cases, processes, tasks
from web.errors import http_error_response

BLUEPRINTS = (processes.blp, cases.blp, tasks.blp, agencies.blp)


class GongzhiApi(Api):
    def handle_http_exception(self, error):
        """Answer HTTP errors as problem+json on the API (flask-smorest installs this app-wide)."""
        return http_error_response(error)


def init_api(app: Flask) -> Api:
    app.config.setdefault("API_TITLE", "Gongzhi 共治 API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    })
    api = GongzhiApi(app)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    return api

"""The HTTP API under /api/v1 (flask-smorest + marshmallow): /api/v1/openapi.json, docs at /api/v1/docs."""

from flask import Flask, request
from flask_smorest import Api
from marshmallow import Schema, fields

from web.api import (
    agencies,
    cases,
    channels,
    comments,
    exports,
    extensions,
    indicators,
    intake,
    notices,
    outbox,
    processes,
    reports,
    tasks,
    users,
)
from web.api.docs import docs
from web.auth import require_username
from web.errors import PROBLEM_JSON, http_error_response

BLUEPRINTS = (processes.blp, cases.blp, tasks.blp, comments.blp, extensions.blp, notices.blp, agencies.blp,
              users.blp, users.tokens_blp, outbox.blp, channels.blp, intake.blp, indicators.blp, reports.blp,
              exports.blp)


class ProblemSchema(Schema):
    """An error, as RFC 9457 application/problem+json."""

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String(metadata={"description": "what went wrong and what to fix"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "messages by field, for invalid input"})
    # A diagram that cannot be deployed: where the problem is.
    file = fields.String(metadata={"description": "the BPMN/DMN file"})
    element = fields.String(metadata={"description": "the element id (and name)"})
    line = fields.Integer(allow_none=True)
    problem = fields.String()


class GongzhiApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self):
        # The error responses flask-smorest documents for every operation are problem+json here.
        self.DEFAULT_RESPONSE_CONTENT_TYPE = PROBLEM_JSON
        try:
            super()._register_responses()
        finally:
            del self.DEFAULT_RESPONSE_CONTENT_TYPE

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
    app.register_blueprint(docs)
    names = {blueprint.name for blueprint in BLUEPRINTS}

    @app.before_request
    def _authenticate_api_calls() -> None:
        # Who is calling is settled before the body is read: no credentials is a 401, never a 422.
        if request.blueprint in names:
            require_username()

    return api

"""The health page: is the platform up, and can it reach its database?"""

from flask import Blueprint, jsonify, render_template
from sqlalchemy.exc import SQLAlchemyError

from engine.status import platform_status

health = Blueprint("health", __name__)


@health.get("/health")
def health_json():
    try:
        status = platform_status()
    except SQLAlchemyError as error:
        return jsonify(status="error", database="unreachable", detail=str(error.orig)), 503
    return jsonify(status="ok", database="ok", **status)


@health.get("/")
def home():
    try:
        status = platform_status()
    except SQLAlchemyError:
        status = None
    return render_template("home.html", status=status), 200 if status else 503

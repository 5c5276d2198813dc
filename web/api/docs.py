"""The interactive API documentation page (Swagger UI from the npm registry, served locally)."""

from flask import Blueprint, render_template

docs = Blueprint("api_docs", __name__)


@docs.get("/api/v1/docs")
def page():
    return render_template("api_docs.html")

"""The interactive API documentation page (Swagger UI from the npm registry, served locally)."""

from flask import Blueprint, render_template

docs = Blueprint("api_docs", __name__)
# Swagger UI draws its icons as data: images and styles inline.
DOCS_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"


@docs.get("/api/v1/docs")
def page():
    return render_template("api_docs.html"), 200, {"Content-Security-Policy": DOCS_CSP}

"""Server-rendered pages (Jinja + htmx), in Chinese by default and English on request."""

from flask import Flask

from web.pages.auth import auth
from web.pages.cases import case_pages
from web.pages.dashboard import dashboard_pages
from web.pages.designer import designer_pages
from web.pages.display import init_display
from web.pages.extensions import extension_pages
from web.pages.inbox import inbox_pages
from web.pages.notices import notice_pages
from web.pages.supervision import supervision_pages
from web.pages.survey import survey_pages
from web.pages.tasks import task_pages


def register_pages(app: Flask) -> None:
    """Register the page blueprints and their template helpers on an app."""
    init_display(app)
    app.register_blueprint(auth)
    app.register_blueprint(inbox_pages)
    app.register_blueprint(task_pages)
    app.register_blueprint(case_pages)
    app.register_blueprint(designer_pages)
    app.register_blueprint(supervision_pages)
    app.register_blueprint(notice_pages)
    app.register_blueprint(extension_pages)
    app.register_blueprint(survey_pages)
    app.register_blueprint(dashboard_pages)

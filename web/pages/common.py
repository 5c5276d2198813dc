"""What every staff page needs: the acting user, validated input, htmx awareness, safe redirects."""

from flask import redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import EXCLUDE, Schema, ValidationError, pre_load
from werkzeug.exceptions import BadRequest

from engine.org import Actor, get_actor
from web.pages.auth import local_path


def page_actor() -> Actor:
    """The logged-in user with their agency and roles (pages are behind login_required)."""
    return get_actor(current_user.username)


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


class PageSchema(Schema):
    """Validate a page's query or form: unknown keys (csrf_token, next) are ignored, empty strings are absent."""

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _drop_empty(self, data, **_kwargs):
        return {key: value for key, value in data.items() if value not in ("", None)}


def validated(schema: Schema, data) -> dict:
    """Load `data` with a schema; BadRequest (400) saying which field is wrong otherwise."""
    try:
        return schema.load(data.to_dict() if hasattr(data, "to_dict") else data)
    except ValidationError as error:
        fields = ", ".join(sorted(error.messages))
        raise BadRequest(_("Some values in the address or form are not valid: %(fields)s.", fields=fields)) from None


def back(default_endpoint: str, **values):
    """Redirect to the form's `next` path when it is on this site, else to an endpoint."""
    return redirect(local_path(request.form.get("next")) or url_for(default_endpoint, **values))

"""GeoReport v2's two formats: JSON (a list, or an object) and XML (a root element of repeated items).

Times are W3C date-times (ISO 8601 with the offset) in the platform's time zone; booleans are true/false;
a missing value is null in JSON and an empty element in XML. Errors are a list of {code, description}.
"""

import json
from datetime import datetime
from xml.etree import ElementTree

from flask import Response

from engine.calendar import platform_zone

FORMATS = ("json", "xml")
MIMETYPES = {"json": "application/json", "xml": "text/xml"}


def w3c(moment: datetime | None) -> str | None:
    """A W3C date-time in the platform's zone, such as 2024-05-10T09:30:00+08:00."""
    return moment.astimezone(platform_zone()).isoformat(timespec="seconds") if moment is not None else None


def _plain(value):
    """Turn a value into what JSON carries: times as W3C strings, nested lists and dicts alike."""
    if isinstance(value, datetime):
        return w3c(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _xml_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3c(value)
    return str(value)


def _append(parent: ElementTree.Element, name: str, value, item_names: dict[str, str]) -> None:
    element = ElementTree.SubElement(parent, name)
    if isinstance(value, dict):
        for key, inner in value.items():
            _append(element, key, inner, item_names)
    elif isinstance(value, list) and name in item_names:
        for inner in value:
            _append(element, item_names[name], inner, item_names)
    elif isinstance(value, list):  # keywords: a comma-separated list
        element.text = ",".join(_xml_text(inner) for inner in value)
    else:
        element.text = _xml_text(value)


def render(fmt: str, value, *, root: str, item: str | None = None, status: int = 200,
           item_names: dict[str, str] | None = None) -> Response:
    """Answer `value` (a list of items, or one object) as JSON or as XML under <root> (<item> each)."""
    if fmt == "json":
        if isinstance(value, dict):
            value = {key: (",".join(inner) if key == "keywords" else inner) for key, inner in value.items()}
        elif isinstance(value, list):
            value = [{key: (",".join(inner) if key == "keywords" else inner) for key, inner in entry.items()}
                     for entry in value]
        body = json.dumps(_plain(value), ensure_ascii=False)
        return Response(body, status=status, mimetype=MIMETYPES["json"])
    names = item_names or {}
    element = ElementTree.Element(root)
    if isinstance(value, list):
        for entry in value:
            _append(element, item, entry, names)
    else:
        for key, inner in value.items():
            _append(element, key, inner, names)
    body = ElementTree.tostring(element, encoding="unicode", xml_declaration=False)
    return Response('<?xml version="1.0" encoding="utf-8"?>\n' + body, status=status, mimetype=MIMETYPES["xml"])


def errors(fmt: str, status: int, *descriptions: str) -> Response:
    """An error answer: HTTP `status` with a list of {code, description}."""
    listed = [{"code": status, "description": description} for description in descriptions]
    return render(fmt if fmt in FORMATS else "json", listed, root="errors", item="error", status=status)

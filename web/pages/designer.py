"""The designers' pages: process versions, the modeler and its deploy, two versions compared, BPMN download."""

from dataclasses import asdict

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import Schema, ValidationError, fields
from marshmallow.validate import Length, Range

from engine.errors import DeployError, EngineError
from engine.process_overview import (
    compare_versions,
    deploy_edited_version,
    process_overview,
    version_download,
    version_source,
)
from web.errors import STATUS
from web.pages.common import PageSchema, page_actor, validated

designer_pages = Blueprint("designer", __name__)
VERSION = "<string(maxlength=100):process_id>/versions/<int(min=1, max=2147483647):version>"
MAX_XML_CHARS = 2 * 1024 * 1024


class CompareQuery(PageSchema):
    from_ = fields.Integer(data_key="from", required=True, validate=Range(min=1, max=2147483647))
    to = fields.Integer(required=True, validate=Range(min=1, max=2147483647))


class DeployBody(Schema):
    xml = fields.String(required=True, validate=Length(min=1, max=MAX_XML_CHARS))


@designer_pages.get("/processes")
@login_required
def processes():
    return render_template("processes.html", processes=process_overview(actor=page_actor()))


@designer_pages.get(f"/processes/{VERSION}/edit")
@login_required
def edit(process_id: str, version: int):
    source = version_source(process_id, version, actor=page_actor())
    return render_template("modeler.html", source=source, choices=asdict(source.choices))


def _deploy_error(error: EngineError):
    """The engine's error as JSON, with the id of the element it concerns for the modeler to mark."""
    details = error.details or {}
    element = str(details.get("element") or "")
    body = {"title": _("The diagram cannot be deployed") if isinstance(error, DeployError) else _("Not deployed"),
            "message": error.message, "file": details.get("file"), "element": element or None,
            "element_id": element.split(" (", 1)[0] or None, "line": details.get("line"),
            "problem": details.get("problem", error.message)}
    status = next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)
    return jsonify(body), status


@designer_pages.post(f"/processes/{VERSION}/deploy")
@login_required
def deploy(process_id: str, version: int):
    try:
        body = DeployBody().load(request.get_json(silent=True) or {})
    except ValidationError:
        return jsonify({"title": _("Not deployed"), "message": _("Send the diagram's XML as {\"xml\": \"...\"}."),
                        "element_id": None}), 400
    try:
        result = deploy_edited_version(process_id=process_id, based_on=version, xml=body["xml"],
                                       username=current_user.username)
    except EngineError as error:
        return _deploy_error(error)
    if result.created:
        message = _("Deployed as version %(version)d of %(process)s.", version=result.version, process=process_id)
    else:
        message = _("Nothing changed: this content is already version %(version)d; no new version was made.",
                    version=result.version)
    return jsonify({"process_id": process_id, "version": result.version, "created": result.created,
                    "message": message, "list_url": url_for("designer.processes"),
                    "edit_url": url_for("designer.edit", process_id=process_id, version=result.version)}), \
        201 if result.created else 200


@designer_pages.get("/processes/<string(maxlength=100):process_id>/compare")
@login_required
def compare(process_id: str):
    query = validated(CompareQuery(), request.args)
    comparison = compare_versions(process_id, query["from_"], query["to"], actor=page_actor())
    return render_template("compare.html", comparison=comparison, changes=comparison.changes)


@designer_pages.get(f"/processes/{VERSION}/bpmn")
@login_required
def download(process_id: str, version: int):
    filename, xml = version_download(process_id, version, actor=page_actor())
    return Response(xml, mimetype="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})

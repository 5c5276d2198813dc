"""Processes: versions, their BPMN, and deploying new versions (designers)."""

from flask import Response
from flask_smorest import Blueprint, abort

from engine import deploy, list_processes
from engine.queries import version_bpmn
from web.api.actor import acting_username, current_actor
from web.api.schemas import DeployFilesSchema, DeployResultSchema, ProcessVersionSchema

blp = Blueprint("processes", __name__, url_prefix="/api/v1/processes", description="流程 Processes")
MAX_FILE_BYTES = 2 * 1024 * 1024


@blp.route("")
@blp.response(200, ProcessVersionSchema(many=True))
def versions():
    """Every deployed process version, newest version of each process first."""
    current_actor()
    return list_processes()


@blp.route("", methods=["POST"])
@blp.arguments(DeployFilesSchema, location="files")
@blp.response(201, DeployResultSchema(many=True))
def deploy_files(files):
    """Deploy .bpmn/.dmn files (multipart field `files`, repeatable) as new versions. Designers only.

    Invalid diagrams answer 422 with the file, element, line and problem.
    """
    sources = {}
    for upload in files["files"]:
        content = upload.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            abort(413, message=f"{upload.filename}: larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
        try:
            sources[upload.filename or "unnamed.bpmn"] = content.decode("utf-8")
        except UnicodeDecodeError:
            abort(422, message=f"{upload.filename}: not a UTF-8 text file")
    return deploy(sources=sources, username=acting_username())


@blp.route("/<process_id>/versions/<int(max=2147483647):version>/bpmn")
@blp.response(200, description="BPMN 2.0 XML", content_type="application/xml")
def bpmn(process_id, version):
    """The BPMN XML of a process version."""
    current_actor()
    return Response(version_bpmn(process_id, version), mimetype="application/xml")

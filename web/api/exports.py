"""Export a case list, with the filters of GET /cases, as CSV or XLSX (streamed, not held in memory)."""

from flask import Response, send_file
from flask_smorest import Blueprint
from marshmallow import fields, validate

from engine.case_export import export_cases
from web.api.actor import current_actor
from web.api.schemas import CaseListQuerySchema
from web.report_files import XLSX_MIME, cases_csv, cases_xlsx

blp = Blueprint("case_exports", __name__, url_prefix="/api/v1/cases", description="案件导出 Case export")

FORMATS = ("csv", "xlsx")


class CaseExportQuerySchema(CaseListQuerySchema):
    class Meta:
        exclude = ("page", "page_size")

    format = fields.String(load_default="csv", validate=validate.OneOf(FORMATS))


_RESPONSES = {"200": {"description": "every case of the list, newest first", "content": {
    "text/csv": {"schema": {"type": "string"}}, XLSX_MIME: {"schema": {"type": "string", "format": "binary"}}}}}


@blp.route("/export")
@blp.arguments(CaseExportQuerySchema, location="query")
@blp.doc(responses=_RESPONSES)
def export(query):
    """Every case you may see with these filters (as GET /cases, all pages): CSV, or XLSX up to 1,048,575."""
    file_format = query.pop("format")
    rows = export_cases(actor=current_actor(), agency_code=query.pop("agency", None), **query)
    if file_format == "xlsx":
        return send_file(cases_xlsx(rows), mimetype=XLSX_MIME, as_attachment=True, download_name="cases.xlsx")
    return Response(cases_csv(rows), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=cases.csv"})




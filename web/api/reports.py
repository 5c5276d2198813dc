"""Periodic reports (定期通报): listed, read, and downloaded as a printable page or a workbook."""

from flask import Response, send_file
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from engine.models import REPORT_KINDS
from engine.reports import get_report, list_reports
from web.api.actor import current_actor
from web.api.indicators import CODE, IndicatorsSchema
from web.api.schemas import PageQuerySchema, PageSchema
from web.report_files import XLSX_MIME, report_html, report_xlsx

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports", description="定期通报 Periodic reports")


class ReportSummarySchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": " | ".join(REPORT_KINDS)})
    period_start = fields.Date()
    period_end = fields.Date(metadata={"description": "exclusive"})
    agency = fields.String(metadata={"description": "the agency whose area it covers"})
    agency_name = fields.String()
    generated_at = fields.DateTime()


class ReportSchema(ReportSummarySchema):
    figures = fields.Nested(IndicatorsSchema)


class ReportPageSchema(PageSchema):
    items = fields.List(fields.Nested(ReportSummarySchema))


class ReportQuerySchema(PageQuerySchema):
    kind = fields.String(validate=validate.OneOf(REPORT_KINDS))
    agency = fields.String(validate=[validate.Length(min=1, max=64), CODE], metadata={"description": "agency code"})


def _file_response(description: str, content_type: str, binary: bool = False) -> dict:
    schema = {"type": "string", **({"format": "binary"} if binary else {})}
    return {"responses": {"200": {"description": description, "content": {content_type: {"schema": schema}}}}}


@blp.route("")
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, ReportPageSchema)
def index(query):
    """The reports of your area (supervisors) or of every agency (administrators), newest period first."""
    return list_reports(actor=current_actor(), kind=query.get("kind"), agency_code=query.get("agency"),
                        page=query["page"], page_size=query["page_size"])


@blp.route("/<int(max=2147483647):report_id>")
@blp.response(200, ReportSchema)
def read(report_id):
    """A report with its figures."""
    return get_report(report_id, actor=current_actor())


@blp.route("/<int(max=2147483647):report_id>.html")
@blp.doc(**_file_response("the report as a printable page", "text/html"))
def html(report_id):
    """A report as a printable HTML page."""
    return Response(report_html(get_report(report_id, actor=current_actor())), mimetype="text/html")


@blp.route("/<int(max=2147483647):report_id>.xlsx")
@blp.doc(**_file_response("the report as an XLSX workbook", XLSX_MIME, binary=True))
def xlsx(report_id):
    """A report as an XLSX workbook: the indicators, and deadlines kept by agency and by tier."""
    report = get_report(report_id, actor=current_actor())
    name = f"report-{report['agency']}-{report['kind']}-{report['period_start']}.xlsx"
    return send_file(report_xlsx(report), mimetype=XLSX_MIME, as_attachment=True, download_name=name)

"""Cases: start, list, read, timeline and progress."""

from flask.views import MethodView
from flask_smorest import Blueprint

from engine import start_case
from engine.progress import case_progress
from engine.queries import case_events, get_case, list_cases
from web.api.actor import acting_username, current_actor
from web.api.schemas import (
    CaseListQuerySchema,
    CasePageSchema,
    CaseSchema,
    EventSchema,
    ProgressSchema,
    StartCaseSchema,
)

blp = Blueprint("cases", __name__, url_prefix="/api/v1/cases", description="案件 Cases")


@blp.route("")
class Cases(MethodView):
    @blp.arguments(CaseListQuerySchema, location="query")
    @blp.response(200, CasePageSchema)
    def get(self, query):
        """List the cases you may see, newest first (filters: process, status, agency, dates, overdue)."""
        agency = query.pop("agency", None)
        return list_cases(actor=current_actor(), agency_code=agency, **query)

    @blp.arguments(StartCaseSchema)
    @blp.response(201, CaseSchema)
    def post(self, body):
        """Start a case of the latest version of a process."""
        return start_case(process_id=body["process_id"], data=body["data"], username=acting_username())


@blp.route("/<int(max=2147483647):case_id>")
@blp.response(200, CaseSchema)
def read(case_id):
    """A case with its open tasks."""
    return get_case(case_id, actor=current_actor(), with_events=False)


@blp.route("/<int(max=2147483647):case_id>/timeline")
@blp.response(200, EventSchema(many=True))
def timeline(case_id):
    """The case's audit events, oldest first."""
    return case_events(case_id, actor=current_actor())


@blp.route("/<int(max=2147483647):case_id>/progress")
@blp.response(200, ProgressSchema)
def progress(case_id):
    """Completed, active and overdue BPMN element ids, for highlighting the diagram."""
    return case_progress(case_id, actor=current_actor())

"""A case list with its filters as rows for export (CSV, XLSX), read in batches, never all at once."""

from collections.abc import Iterator
from datetime import datetime

from engine.calendar import platform_zone
from engine.case_store import CASE
from engine.db import db
from engine.org import AGENCY, Actor
from engine.queries import case_list_query

# (key, Chinese header) of each exported column, in order.
EXPORT_COLUMNS = (
    ("id", "案件编号"), ("process_id", "流程"), ("process_name", "流程名称"), ("title", "标题"), ("status", "状态"),
    ("location", "事发地编码"), ("location_name", "事发地"), ("category", "类别"), ("created_at", "受理时间"),
    ("completed_at", "办结时间"), ("closure", "办结方式"), ("resolved_level", "化解层级"),
    ("court_outcome", "法庭结果"), ("reopened_count", "重办次数"),
)
BATCH = 1000


def _local(moment: datetime | None) -> str:
    return moment.astimezone(platform_zone()).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def export_cases(*, actor: Actor, **filters) -> Iterator[dict]:
    """The cases list_cases would list (newest first, every page), one dict per case, times local.

    Filters are list_cases's: process_id, status, agency_code, created_from, created_to, overdue. Raises
    NotFoundError for an unknown agency before the first row.
    """
    query = (case_list_query(actor=actor, **filters)
             .join(AGENCY, CASE.c.location_id == AGENCY.c.id)
             .add_columns(AGENCY.c.code.label("location"), AGENCY.c.name.label("location_name")))
    # Its own connection, so a response can stream the rows after the request's session has closed.
    database = db.engine

    def stream() -> Iterator[dict]:
        with database.connect() as conn:
            for row in conn.execution_options(yield_per=BATCH).execute(query):
                values = row._mapping
                yield {key: _local(values[key]) if key in ("created_at", "completed_at") else values[key]
                       for key, _ in EXPORT_COLUMNS}

    return stream()

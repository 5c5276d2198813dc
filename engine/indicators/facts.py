"""The counts behind the indicators: one aggregate query per table, split into time buckets.

Each query reads indexed time columns of the case, task, supervision-step and incident tables (and the
reporting columns the engine writes); none deserializes a workflow. A Facts object runs each query at
most once, the first time an indicator asks for it.
"""

from collections import defaultdict
from datetime import datetime
from functools import cached_property

from sqlalchemy import and_, func, literal_column, or_, select, text

from engine.case_store import CASE, TASK
from engine.indicators.scope import Scope, under
from engine.indicators.sql import (
    bucket_end,
    bucket_of,
    count_if,
    in_range,
    medians,
    on_postgres,
    seconds_between,
    sum_if,
)
from engine.models import LATE_TASK, Incident, SupervisionStep
from engine.org import AGENCY
from engine.transaction import connection
from processes.disputes import FUNNEL_LEVELS
from processes.reporting import DISPUTE_PROCESSES

INCIDENT = Incident.__table__
STEP = SupervisionStep.__table__
# A case closed as police business never left the police: it is not a diverted matter.
NOT_POLICE = or_(CASE.c.closure.is_(None), CASE.c.closure != "police")
_LATE = TASK.alias("late")
# A case whose tasks all kept their deadlines: none was found overdue, none was finished after its due time.
# A scalar subquery with LIMIT 1, not NOT EXISTS: PostgreSQL probes the small partial index ix_task_late_case
# for each closed case instead of planning an anti-join over every task. The condition is the index's own
# text, unqualified: inside the subquery the names are the task's.
ON_TIME_CASE = (select(_LATE.c.id).where(_LATE.c.case_id == CASE.c.id, text(f"({LATE_TASK})"))
                .limit(1).scalar_subquery().is_(None))
BUCKET = literal_column("bucket")


class Facts:
    """The counts of one scope over contiguous time buckets [edges[i], edges[i + 1])."""

    def __init__(self, scope: Scope, edges: list[datetime]):
        self.scope, self.edges, self.buckets = scope, edges, len(edges) - 1

    def _by_bucket(self, query) -> list[dict]:
        found = [defaultdict(int) for _ in range(self.buckets)]
        for row in connection().execute(query):
            values = row._mapping
            found[values["bucket"]].update({k: v or 0 for k, v in values.items() if k != "bucket"})
        return found

    def _by_bucket_and_agency(self, query) -> list[dict[int | None, dict]]:
        found: list[dict] = [{} for _ in range(self.buckets)]
        for row in connection().execute(query):
            values = dict(row._mapping)
            bucket, agency = values.pop("bucket"), values.pop("agency_id")
            found[bucket][agency] = {k: v or 0 for k, v in values.items()}
        return found

    @cached_property
    def intake(self) -> list[dict]:
        """Cases taken in during each bucket, and where they stood at the bucket's end."""
        created, edges = CASE.c.created_at, self.edges
        end = bucket_end(created, edges)
        closed_by_end = and_(CASE.c.status == "completed", CASE.c.completed_at < end)
        diverted = and_(CASE.c.diverted_at.is_not(None), CASE.c.diverted_at < end)
        dispute = CASE.c.process_id.in_(DISPUTE_PROCESSES)
        closed_dispute = and_(dispute, closed_by_end)
        query = select(
            bucket_of(created, edges).label("bucket"), func.count().label("cases"),
            count_if(NOT_POLICE).label("taken_in"), count_if(and_(NOT_POLICE, closed_by_end)).label("closed_by_end"),
            count_if(diverted).label("diverted"),
            sum_if(diverted, seconds_between(CASE.c.diverted_at, created)).label("divert_seconds"),
            count_if(dispute).label("disputes"), count_if(closed_dispute).label("disputes_closed"),
            *[count_if(and_(closed_dispute, CASE.c.resolved_level == level)).label(f"level_{level}")
              for level in FUNNEL_LEVELS],
            count_if(and_(closed_dispute, CASE.c.court_outcome == "confirmed")).label("confirmed"),
            count_if(and_(closed_dispute, CASE.c.court_outcome == "none")).label("without_court"),
        ).where(in_range(created, edges), *self.scope.case_conditions()).group_by(BUCKET)
        return self._by_bucket(query)

    def _closed_cases(self):
        return (select().select_from(CASE)
                .where(CASE.c.status == "completed", in_range(CASE.c.completed_at, self.edges), NOT_POLICE,
                       *self.scope.case_conditions()))

    @cached_property
    def closures(self) -> list[dict]:
        """Diverted matters closed during each bucket: how long they took, how many were reopened or late."""
        completed = CASE.c.completed_at
        seconds = seconds_between(completed, CASE.c.created_at)
        # PostgreSQL takes the median in the same pass; SQLite has no percentile (see handling_medians).
        median = [func.percentile_cont(0.5).within_group(seconds).label("median_seconds")] if on_postgres() else []
        query = self._closed_cases().add_columns(
            bucket_of(completed, self.edges).label("bucket"), func.count().label("closed"),
            func.sum(seconds).label("handling_seconds"), *median,
            count_if(CASE.c.reopened_count > 0).label("reopened"), count_if(ON_TIME_CASE).label("on_time"),
        ).group_by(BUCKET)
        return self._by_bucket(query)

    @cached_property
    def handling_medians(self) -> list[float | None]:
        if on_postgres():
            return [float(row["median_seconds"]) if row.get("closed") else None for row in self.closures]
        completed = CASE.c.completed_at
        return medians(self._closed_cases(), bucket_of(completed, self.edges),
                       seconds_between(completed, CASE.c.created_at), self.buckets)

    def _task_source(self, source):
        """Tasks (joined to `source`) of the scope's area, process and category; a join with the cases
        only for a process or category."""
        conditions = [under(TASK.c.jurisdiction_path, self.scope.agency_path)] if self.scope.agency_path else []
        if self.scope.process_id or self.scope.category:
            source = source.join(CASE, TASK.c.case_id == CASE.c.id)
            conditions += [CASE.c.process_id == self.scope.process_id] if self.scope.process_id else []
            conditions += [CASE.c.category == self.scope.category] if self.scope.category else []
        return source, conditions

    def _tasks(self, *columns):
        source, conditions = self._task_source(TASK)
        return select(*columns).select_from(source).where(*conditions)

    @cached_property
    def tasks(self) -> list[dict[int | None, dict]]:
        """Tasks closed (completed or returned) during each bucket, by agency."""
        closed = TASK.c.completed_at
        has_due = TASK.c.due_at.is_not(None)
        query = self._tasks(
            bucket_of(closed, self.edges).label("bucket"), TASK.c.candidate_agency_id.label("agency_id"),
            func.count().label("closed"), count_if(TASK.c.status == "returned").label("returned"),
            count_if(has_due).label("with_deadline"), count_if(and_(has_due, closed <= TASK.c.due_at)).label("on_time"),
            count_if(TASK.c.satisfied.is_not(None)).label("visits"),
            count_if(TASK.c.satisfied.is_(True)).label("satisfied"),
        ).where(TASK.c.status.in_(("completed", "returned")), in_range(closed, self.edges)).group_by(
            BUCKET, TASK.c.candidate_agency_id)
        return self._by_bucket_and_agency(query)

    @cached_property
    def breaches(self) -> list[dict[int | None, dict]]:
        """Tasks found overdue during each bucket, by agency."""
        overdue = TASK.c.overdue_at
        query = self._tasks(bucket_of(overdue, self.edges).label("bucket"),
                            TASK.c.candidate_agency_id.label("agency_id"), func.count().label("overdue")
                            ).where(in_range(overdue, self.edges)).group_by(BUCKET, TASK.c.candidate_agency_id)
        return self._by_bucket_and_agency(query)

    @cached_property
    def supervision(self) -> list[dict[int | None, dict]]:
        """Supervision notices (督办) sent during each bucket, by the agency of the overdue task."""
        sent = STEP.c.sent_at
        source, conditions = self._task_source(STEP.join(TASK, STEP.c.task_id == TASK.c.id))
        query = (select(bucket_of(sent, self.edges).label("bucket"), TASK.c.candidate_agency_id.label("agency_id"),
                        func.count().label("notices"))
                 .select_from(source)
                 .where(STEP.c.status == "sent", STEP.c.kind == "supervision", in_range(sent, self.edges), *conditions)
                 .group_by(BUCKET, TASK.c.candidate_agency_id))
        return self._by_bucket_and_agency(query)

    @cached_property
    def incidents(self) -> list[dict]:
        """Incidents (警情) received during each bucket, and how many were not police business."""
        received = INCIDENT.c.received_at
        source, conditions = INCIDENT, [in_range(received, self.edges)]
        if self.scope.agency_path:
            source = INCIDENT.join(AGENCY, INCIDENT.c.location_id == AGENCY.c.id)
            conditions.append(under(AGENCY.c.path, self.scope.agency_path))
        if self.scope.category:
            conditions.append(INCIDENT.c.category == self.scope.category)
        query = (select(bucket_of(received, self.edges).label("bucket"), func.count().label("incidents"),
                        count_if(INCIDENT.c.police_matter.is_(False)).label("non_police"))
                 .select_from(source).where(*conditions).group_by(BUCKET))
        return self._by_bucket(query)

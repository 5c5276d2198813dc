"""Database models: the org tree, process versions, cases, their task rows, the audit log, API tokens,
the working-day calendar, and the SLA records (extensions, supervision steps, notices, outbox)."""

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import UTCDateTime, db, utcnow

ROLES = ("staff", "supervisor", "designer", "admin")
AGENCY_LEVELS = ("city", "district", "street", "community", "grid")


class Agency(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    # Codes from the root down, "/zhoushan/putuo/chengxi/": subtree queries are one prefix match.
    path: Mapped[str] = mapped_column(String(500), index=True)
    # A cross-area agency (the maritime office) serves cases wherever they are.
    cross_area: Mapped[bool] = mapped_column(Boolean, default=False)

    parent: Mapped["Agency | None"] = relationship(remote_side=[id])


class User(db.Model):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    roles: Mapped[str] = mapped_column(String(100), default="staff")  # comma-separated ROLES
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agency: Mapped[Agency] = relationship()

    def has_role(self, role: str) -> bool:
        return role in self.roles.split(",")


class ProcessVersion(db.Model):
    __table_args__ = (
        UniqueConstraint("process_id", "version"),
        UniqueConstraint("process_id", "content_hash", name="uq_process_version_content"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    # {filename: XML} of the BPMN and DMN files the process needs, called processes included.
    sources: Mapped[dict] = mapped_column(JSON, deferred=True)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


CASE_STATUSES = ("running", "completed", "cancelled")


class Case(db.Model):
    __tablename__ = "case_record"
    __table_args__ = (
        Index("ix_case_status_timer", "status", "next_timer_at"),
        # The indicators count the cases closed in a period (engine/indicators).
        Index("ix_case_completed_at", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(100), index=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default="running")
    location_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    # The location's agency path, so supervisors' subtree queries need no join.
    jurisdiction_path: Mapped[str] = mapped_column(String(500), index=True)
    # SpiffWorkflow state as JSON, the spec stored by reference to the process version.
    # Deferred: a command whose workflow is cached in memory never reads it.
    state: Mapped[str] = mapped_column(Text, deferred=True)
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Reporting facts, written by the engine when the workflow learns them (engine/reporting.py), so the
    # indicators are SQL over columns and never deserialize a workflow.
    category: Mapped[str | None] = mapped_column(String(64))
    closure: Mapped[str | None] = mapped_column(String(32))  # how a diversion ended: police, diverted...
    resolved_level: Mapped[str | None] = mapped_column(String(16))  # processes.disputes.FUNNEL_LEVELS
    court_outcome: Mapped[str | None] = mapped_column(String(16))  # processes.disputes.COURT_OUTCOMES
    reopened_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The first claim (or completion) of a handling step: the matter reached the agency that handles it.
    diverted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    process_version: Mapped[ProcessVersion] = relationship()
    location: Mapped[Agency] = relationship()

    # Optimistic concurrency: an UPDATE that finds another version raises StaleDataError.
    __mapper_args__: ClassVar[dict] = {"version_id_col": version}


# The tasks the SLA monitor still watches. Queries that want ix_task_sla_watch repeat this very predicate.
SLA_WATCH = text("overdue_at IS NULL AND status IN ('open', 'claimed')")
_OVERDUE = text("overdue_at IS NOT NULL")
# A task that missed its deadline; word for word the condition of engine/indicators/facts.py ON_TIME_CASE.
LATE_TASK = "overdue_at IS NOT NULL OR (due_at IS NOT NULL AND completed_at > due_at)"

TASK_STATUSES = ("open", "claimed", "completed", "returned", "cancelled")
ACTIVE_TASK_STATUSES = ("open", "claimed")
# An active task, spelled out (not bound) so the planner can prove a query wants ix_task_active_agency_due.
ACTIVE_TASK = text("status IN ('open', 'claimed')")


class Task(db.Model):
    __table_args__ = (
        UniqueConstraint("case_id", "spiff_task_id", name="uq_task_case_spiff_task"),
        Index("ix_task_agency_status_due", "candidate_agency_id", "status", "due_at"),
        Index("ix_task_claimed_status", "claimed_by_id", "status"),
        # The inboxes (engine.queries.inbox): an agency's active tasks in the inbox's order (due_at, id), so a
        # page of ids and the count are read from this small index alone. Queries repeat ACTIVE_TASK literally.
        Index("ix_task_active_agency_due", "candidate_agency_id", "status", "due_at", "id",
              postgresql_where=ACTIVE_TASK, sqlite_where=ACTIVE_TASK),
        Index("ix_task_status_due", "status", "due_at"),
        # The SLA monitor's scan: only active tasks not yet marked overdue, so a pass costs what the new
        # breaches cost, however many tasks are open.
        Index("ix_task_sla_watch", "due_at", postgresql_where=SLA_WATCH, sqlite_where=SLA_WATCH),
        # The indicators: tasks closed in a period, breaches found in a period.
        # Covering on PostgreSQL: a month's closed tasks are counted from the index alone.
        Index("ix_task_completed_at", "completed_at", postgresql_include=[
            "status", "candidate_agency_id", "due_at", "satisfied", "jurisdiction_path"]),
        Index("ix_task_overdue_at", "overdue_at", postgresql_where=_OVERDUE, sqlite_where=_OVERDUE),
        # Whether a closed case kept every deadline is one probe of this small index.
        Index("ix_task_late_case", "case_id", postgresql_where=text(LATE_TASK), sqlite_where=text(LATE_TASK)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Looked up by case through uq_task_case_spiff_task (case_id first): no index of its own.
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"))
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str | None] = mapped_column(String(100))
    agency_kind: Mapped[str | None] = mapped_column(String(32))
    candidate_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    form: Mapped[str | None] = mapped_column(String(100))
    stage: Mapped[str | None] = mapped_column(String(32))
    returnable: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="open")
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The declaration due_at came from ("2 working days"), so an imported calendar year can recompute it.
    deadline: Mapped[str | None] = mapped_column(String(100))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # Set once by the SLA monitor when due_at passes; cleared when an approved extension moves due_at.
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A return visit's answer (回访是否满意), kept for the satisfaction rate; None on other tasks.
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    # The case's jurisdiction, copied so an area's task indicators need no join with the cases.
    jurisdiction_path: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    case: Mapped[Case] = relationship()
    candidate_agency: Mapped[Agency | None] = relationship()
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])

    # Two people claiming or completing one task: the second UPDATE finds another version and fails.
    __mapper_args__: ClassVar[dict] = {"version_id_col": version}


class AuditEvent(db.Model):
    """An append-only record of who did what to which case and task, when, with which data."""

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    event: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    data: Mapped[dict | None] = mapped_column(JSON)


class ApiToken(db.Model):
    """A machine client's credential: it acts as one user until it is revoked. Only its SHA-256 is kept."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TaskComment(db.Model):
    """A note left on a task by someone who can see its case; comments are only ever added."""

    __tablename__ = "task_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    # The task's case, copied so a case's comments can be listed without a join.
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarDay(db.Model):
    """A day that breaks the Monday-to-Friday rule: a public holiday, or a weekend day worked (调休)."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(200))


class CalendarYear(db.Model):
    """A year whose official schedule is loaded; a year without a row falls back to weekends only."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReferenceStamp(db.Model):
    """One row: a random stamp that triggers renew whenever an agency or the calendar changes.

    Commands read it to know whether what they looked up earlier still holds (engine/reference.py).
    """

    __tablename__ = "reference_stamp"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    stamp: Mapped[int] = mapped_column(BigInteger)


EXTENSION_STATUSES = ("pending", "approved", "refused")


class TaskExtension(db.Model):
    """A request for more time on a task (延期), decided by a supervisor of the agency above."""

    __tablename__ = "task_extension"
    __table_args__ = (
        # One open request per task at a time.
        Index("uq_task_extension_pending", "task_id", unique=True,
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
        Index("ix_task_extension_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"))
    # The agency whose supervisors decide: the one above the task's agency.
    decider_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    reason: Mapped[str] = mapped_column(Text)
    previous_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requested_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


SUPERVISION_STEP_STATUSES = ("pending", "sent", "cancelled")


class SupervisionStep(db.Model):
    """One step of the supervision chain (督办) a breach starts, scheduled when the breach is found."""

    __tablename__ = "supervision_step"
    __table_args__ = (
        # A breach is the task missing one due_at: its chain is scheduled once, whoever finds it.
        UniqueConstraint("task_id", "breached_due_at", "step", name="uq_supervision_step_breach"),
        Index("ix_supervision_step_due", "send_at", postgresql_where=text("status = 'pending'"),
              sqlite_where=text("status = 'pending'")),
        # The indicators count the supervision notices sent in a period.
        Index("ix_supervision_step_sent", "sent_at", postgresql_where=text("status = 'sent'"),
              sqlite_where=text("status = 'sent'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"))
    step: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # processes.supervision.CHAIN_KINDS
    targets: Mapped[str] = mapped_column(String(100))  # comma-separated: assignee, agency, supervisor_above...
    breached_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Notice(db.Model):
    """A reminder, supervision notice (督办通知) or report sent to an agency, and to one user if named."""

    __table_args__ = (Index("ix_notice_agency_created", "agency_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # What makes the notice unique ("step:12:agency:4"): a retried or concurrent send finds it taken.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # processes.supervision.NOTICE_KINDS
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    step_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_step.id"))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # None: sent by the monitor
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


CHANNEL_KINDS = ("webhook", "email", "sms")


class NotificationChannel(db.Model):
    """Where an agency, or one user, hears of its notices: a signed webhook, an email address, a mobile."""

    __tablename__ = "notification_channel"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(500))
    # The webhook's signing key: the receiver checks the HMAC with it, so it is kept, not hashed.
    secret: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


OUTBOX_STATUSES = ("pending", "sent", "dead")


class OutboxMessage(db.Model):
    """A side effect written with the change that caused it, then delivered by a background actor."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "next_attempt_at", postgresql_where=text("status = 'pending'"),
              sqlite_where=text("status = 'pending'")),
        # The metrics count the dead messages at every scrape; sent ones pile up, dead ones are few.
        Index("ix_outbox_dead", "id", postgresql_where=text("status = 'dead'"), sqlite_where=text("status = 'dead'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    # Writing the same effect twice (a retried command, two monitors) finds the key taken.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


INCIDENT_SOURCES = ("110", "open311", "import")


class Incident(db.Model):
    """A reported incident (警情) as another system sent it: police business, or a matter diverted to a case."""

    __table_args__ = (
        # The sending system's own id: the same incident sent twice is taken once.
        UniqueConstraint("source", "external_id", name="uq_incident_source_external_id"),
        Index("ix_incident_received", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    category: Mapped[str] = mapped_column(String(64))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    # The diversion decision table's verdict: police business stays with the police, the rest is diverted.
    police_matter: Mapped[bool] = mapped_column(Boolean)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"), index=True)
    payload: Mapped[dict | None] = mapped_column(JSON)


REPORT_KINDS = ("weekly", "monthly")


class Report(db.Model):
    """A periodic report (定期通报): one agency's indicators for one week or month, as generated."""

    __table_args__ = (
        # Generating the same report twice (two workers, a retried job) finds it taken.
        UniqueConstraint("agency_id", "kind", "period_start", name="uq_report_agency_kind_period"),
        Index("ix_report_period", "period_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # REPORT_KINDS
    period_start: Mapped[date] = mapped_column(Date)  # local dates; the period is [start, end)
    period_end: Mapped[date] = mapped_column(Date)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    figures: Mapped[dict] = mapped_column(JSON)


SATISFACTION_LEVELS = ("satisfied", "basically_satisfied", "unsatisfied")


class ReturnSurvey(db.Model):
    """A return visit (回访) by SMS: a one-time link the reporting party answers on a public page."""

    __tablename__ = "return_survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), unique=True)  # the return-visit task it answers
    # Only the link's SHA-256 is kept (the outbox drops the texted link once delivered): the database alone
    # cannot answer a survey.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    satisfaction: Mapped[str | None] = mapped_column(String(32))  # SATISFACTION_LEVELS
    comment: Mapped[str | None] = mapped_column(Text)

"""Database models: the org tree, process versions, cases, their task rows, the audit log, API tokens and
the working-day calendar."""

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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
    __table_args__ = (Index("ix_case_status_timer", "status", "next_timer_at"),)

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

    process_version: Mapped[ProcessVersion] = relationship()
    location: Mapped[Agency] = relationship()

    # Optimistic concurrency: an UPDATE that finds another version raises StaleDataError.
    __mapper_args__: ClassVar[dict] = {"version_id_col": version}


TASK_STATUSES = ("open", "claimed", "completed", "returned", "cancelled")
ACTIVE_TASK_STATUSES = ("open", "claimed")


class Task(db.Model):
    __table_args__ = (
        UniqueConstraint("case_id", "spiff_task_id", name="uq_task_case_spiff_task"),
        Index("ix_task_agency_status_due", "candidate_agency_id", "status", "due_at"),
        Index("ix_task_claimed_status", "claimed_by_id", "status"),
        Index("ix_task_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
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

"""What engine commands and queries return: plain, typed, JSON-ready records."""

from dataclasses import asdict, dataclass, field
from datetime import datetime

from engine.models import AuditEvent, ProcessVersion


@dataclass(frozen=True)
class TaskView:
    id: int
    case_id: int
    bpmn_id: str
    name: str
    lane: str | None
    agency_code: str | None
    agency_name: str | None
    status: str
    claimed_by: str | None
    form: str | None
    stage: str | None
    returnable: bool
    created_at: datetime
    due_at: datetime | None
    completed_at: datetime | None


@dataclass(frozen=True)
class EventView:
    id: int
    event: str
    at: datetime
    actor: str | None
    task_id: int | None
    data: dict | None


@dataclass(frozen=True)
class CaseView:
    id: int
    process_id: str
    process_version: int
    title: str
    status: str
    location: str
    created_at: datetime
    completed_at: datetime | None
    open_tasks: list[TaskView] = field(default_factory=list)
    events: list[EventView] = field(default_factory=list)


@dataclass(frozen=True)
class ProcessVersionView:
    id: int
    process_id: str
    name: str
    version: int
    content_hash: str
    files: list[str]
    deployed_by: str | None
    deployed_at: datetime


@dataclass(frozen=True)
class DeployResult:
    process_id: str
    version: int
    created: bool  # False when identical content was already deployed


def task_view(row) -> TaskView:
    """Build a task view from a row of case_store.TASKS (the task with its agency and claimant)."""
    return TaskView(
        id=row.id, case_id=row.case_id, bpmn_id=row.bpmn_id, name=row.name, lane=row.lane,
        agency_code=row.agency_code, agency_name=row.agency_name, status=row.status, claimed_by=row.claimed_by,
        form=row.form, stage=row.stage, returnable=row.returnable, created_at=row.created_at, due_at=row.due_at,
        completed_at=row.completed_at,
    )


def event_view(row: AuditEvent, usernames: dict[int, str]) -> EventView:
    return EventView(id=row.id, event=row.event, at=row.at, actor=usernames.get(row.actor_id),
                     task_id=row.task_id, data=row.data)


def new_task_view(task_id: int, values: dict, agency) -> TaskView:
    """Build the view of a task row just inserted from `values`, its candidate agency known."""
    return TaskView(
        id=task_id, case_id=values["case_id"], bpmn_id=values["bpmn_id"], name=values["name"], lane=values["lane"],
        agency_code=agency.code if agency else None, agency_name=agency.name if agency else None, status="open",
        claimed_by=None, form=values["form"], stage=values["stage"], returnable=values["returnable"],
        created_at=values["created_at"], due_at=values["due_at"], completed_at=None,
    )


def case_view(case, open_tasks: list[TaskView], events: list[EventView] | None = None) -> CaseView:
    """Build a case view from a row of case_store's case query and the views of its open tasks."""
    return CaseView(
        id=case.id, process_id=case.process_id, process_version=case.process_version, title=case.title,
        status=case.status, location=case.jurisdiction_path.rstrip("/").rsplit("/", 1)[-1],
        created_at=case.created_at, completed_at=case.completed_at,
        open_tasks=sorted(open_tasks, key=lambda task: task.id), events=events or [],
    )


def version_view(row: ProcessVersion, deployed_by: str | None) -> ProcessVersionView:
    return ProcessVersionView(
        id=row.id, process_id=row.process_id, name=row.name, version=row.version,
        content_hash=row.content_hash, files=sorted(row.sources), deployed_by=deployed_by,
        deployed_at=row.deployed_at,
    )


def to_jsonable(value):
    """Turn a result (or a list of them) into JSON-ready data, timestamps as ISO 8601."""
    if isinstance(value, list):
        return [to_jsonable(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        value = asdict(value)
    if isinstance(value, dict):
        return {key: to_jsonable(item) for key, item in value.items()}
    if isinstance(value, datetime):
        return value.isoformat()
    return value

"""Build constructed histories for the indicator tests: case, task, step and incident rows by Core inserts."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from engine.db import db
from engine.models import Agency, Case, Incident, ProcessVersion, SupervisionStep, Task

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    """A local (Asia/Shanghai) time written 'YYYY-MM-DD HH:MM', in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(UTC)


def agency(code: str) -> Agency:
    return db.session.scalar(select(Agency).where(Agency.code == code))


def add_case(*, created: str, completed: str | None = None, process: str = "diversion",
             location: str = "sjm-duntou-g1", status: str | None = None, **facts) -> int:
    """A case; `facts` are reporting columns (closure, category, resolved_level, diverted_at as local text...)."""
    version = db.session.scalar(select(ProcessVersion.id).where(ProcessVersion.process_id == process))
    place = agency(location)
    if isinstance(facts.get("diverted_at"), str):
        facts["diverted_at"] = local(facts["diverted_at"])
    values = {"process_version_id": version, "process_id": process, "title": "t", "location_id": place.id,
              "jurisdiction_path": place.path, "state": "{}", "version": 1, "created_at": local(created),
              "updated_at": local(created), "status": status or ("completed" if completed else "running"),
              "completed_at": local(completed) if completed else None, "reopened_count": 0, **facts}
    with db.engine.begin() as conn:
        return conn.execute(insert(Case.__table__).returning(Case.__table__.c.id), values).scalar_one()


def add_task(case_id: int, *, at: str, created: str, due: datetime | str | None = None,
             completed: str | None = None, status: str | None = None, stage: str = "handling",
             overdue: str | None = None, satisfied: bool | None = None) -> int:
    path = db.session.scalar(select(Case.jurisdiction_path).where(Case.id == case_id))
    values = {"case_id": case_id, "jurisdiction_path": path, "spiff_task_id": str(uuid4()), "bpmn_id": "Task_X",
              "name": "任务", "candidate_agency_id": agency(at).id, "stage": stage, "returnable": False,
              "status": status or ("completed" if completed else "open"), "created_at": local(created),
              "due_at": local(due) if isinstance(due, str) else due,
              "completed_at": local(completed) if completed else None,
              "overdue_at": local(overdue) if overdue else None, "satisfied": satisfied, "version": 1}
    with db.engine.begin() as conn:
        return conn.execute(insert(Task.__table__).returning(Task.__table__.c.id), values).scalar_one()


def add_supervision(task_id: int, case_id: int, *, sent: str, kind: str = "supervision") -> None:
    at = local(sent)
    with db.engine.begin() as conn:
        conn.execute(insert(SupervisionStep.__table__), {
            "task_id": task_id, "case_id": case_id, "step": kind, "kind": kind, "targets": "supervisor_above",
            "breached_due_at": at - timedelta(hours=4), "send_at": at, "status": "sent", "sent_at": at})


def add_incident(*, received: str, police: bool, location: str = "sjm-duntou-g1", category: str = "noise") -> None:
    with db.engine.begin() as conn:
        count = conn.execute(select(db.func.count()).select_from(Incident.__table__)).scalar_one()
        conn.execute(insert(Incident.__table__), {
            "source": "110", "external_id": f"JJ{count + 1}", "received_at": local(received), "category": category,
            "location_id": agency(location).id, "description": "", "police_matter": police})

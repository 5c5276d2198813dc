"""Commands on cases: start one, and fire the timers that are due."""

import logging
from datetime import datetime, timedelta

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, select, update

from engine import audit, case_store
from engine.case_store import CASE, VERSION
from engine.db import db, utcnow
from engine.errors import ConflictError, InvalidInputError, NotFoundError, ProcessError
from engine.org import get_actor, resolve_location
from engine.reference import STAMP, command_lookups, note_stamp
from engine.results import CaseView
from engine.runtime import (
    case_state,
    checkout_workflow,
    keep,
    parsed_version,
    ready_tasks,
    run_engine,
    store,
    sync_tasks,
    timer_deadlines,
    waiting_tasks,
)
from engine.scripting import reserved_names
from engine.serialization import new_workflow
from engine.transaction import Unit, connection, transaction
from processes.forms import UnknownFormError, form_errors, load_form, start_form_name

log = logging.getLogger(__name__)

TITLE_FIELDS = ("title", "description", "summary")


def start_data(process_id: str, data: dict) -> dict:
    """Validate start data against the process's start form; give every field it leaves out the value None.

    The start form is the case's data contract: diagrams can test an optional field without a NameError.
    """
    if not isinstance(data, dict):
        raise InvalidInputError("start data must be a JSON object")
    shadowed = reserved_names() & set(data)
    if shadowed:
        raise InvalidInputError(f"start data may not use the reserved names {sorted(shadowed)}",
                                details={name: ["reserved name"] for name in shadowed})
    try:
        form = load_form(start_form_name(process_id))
    except UnknownFormError:
        return data
    errors = form_errors(start_form_name(process_id), data)
    if errors:
        raise InvalidInputError("the start data does not match the process's start form", details=errors)
    return {**dict.fromkeys(form.get("properties", {})), **data}


TIMER_RETRY = timedelta(minutes=15)
_POSTPONE = (update(CASE).where(CASE.c.id == bindparam("case_id"), CASE.c.next_timer_at <= bindparam("now"))
             .values(next_timer_at=bindparam("retry_at")))
_LATEST_VERSION = (
    select(VERSION.c.id, VERSION.c.name, VERSION.c.content_hash, VERSION.c.version, STAMP)
    .where(VERSION.c.process_id == bindparam("pid"))
    .order_by(VERSION.c.version.desc()).limit(1)
)


_DUE_CASE_IDS = (
    select(CASE.c.id).where(CASE.c.status == "running", CASE.c.next_timer_at <= bindparam("now"))
    .order_by(CASE.c.next_timer_at).limit(bindparam("limit"))
)


def latest_version(process_id: str):
    version = connection().execute(_LATEST_VERSION, {"pid": process_id}).first()
    if version is None:
        raise NotFoundError(f"process {process_id!r} is not deployed; deploy it first (gongzhi deploy bpmn/)")
    note_stamp(version.reference_stamp)
    return version


def start_case(*, process_id: str, data: dict, username: str | None = None) -> CaseView:
    """Start a case of the latest version of a process and run it until people or events are needed."""
    data = start_data(process_id, data)
    with transaction() as unit:
        actor_id = get_actor(username).id if username else None
        return open_case(unit, process_id=process_id, data=data, actor_id=actor_id)


def open_case(unit: Unit, *, process_id: str, data: dict, actor_id: int | None) -> CaseView:
    """Start a case inside a running command (start_case, or an intake that writes more beside it).

    `data` must already have passed the start form (`start_data`).
    """
    version = latest_version(process_id)
    location = resolve_location(data.get("location"), command_lookups().locations)
    workflow = new_workflow(parsed_version(version.id, version.content_hash, process_id))
    workflow.get_tasks(state=TaskState.READY)[0].data.update(data)
    run_engine(workflow.do_engine_steps)
    ready = ready_tasks(workflow)
    title = next((str(data[key]) for key in TITLE_FIELDS if data.get(key)), version.name)[:300]
    values = {"process_version_id": version.id, "process_id": process_id, "title": title, "location_id": location.id,
              "jurisdiction_path": location.path, "started_by_id": actor_id, "created_at": utcnow(),
              **case_state(workflow, ready, status="running", completed_at=None)}
    case_id = case_store.insert_case(values)
    audit.record("case_started", case_id=case_id, actor_id=actor_id, data=data)
    rows = sync_tasks(case_id, location.path, workflow, ready, actor_id=actor_id, mirrored=set())
    if values["status"] == "completed":
        audit.record("case_completed", case_id=case_id, actor_id=actor_id)
    keep(unit, case_id, 1, workflow, ready)
    return CaseView(id=case_id, process_id=process_id, process_version=version.version, title=title,
                    status=values["status"], location=location.code, created_at=values["created_at"],
                    completed_at=values["completed_at"], open_tasks=sorted(rows, key=lambda task: task.id))


def due_case_ids(*, now: datetime, limit: int = 500) -> list[int]:
    """The running cases whose earliest timer is due at `now`, earliest first."""
    with db.engine.connect() as conn:
        return list(conn.execute(_DUE_CASE_IDS, {"now": now, "limit": limit}).scalars())


def fire_case_timers(*, case_id: int, now: datetime) -> bool:
    """Fire the due timers of one case; False when it is not due (any more) or another worker has it.

    A case whose timer path fails (ProcessError) is rolled back, then set aside for TIMER_RETRY with a
    `timer_failed` audit event, so a broken diagram is retried now and then, not on every tick.
    """
    try:
        return _fire_case_timers(case_id, now)
    except ProcessError as error:
        with transaction() as unit:
            retry_at = now + TIMER_RETRY
            if unit.conn.execute(_POSTPONE, {"case_id": case_id, "now": now, "retry_at": retry_at}).rowcount:
                audit.record("timer_failed", case_id=case_id, at=now,
                             data={"error": error.message, "retry_at": retry_at.isoformat()})
        raise


def _fire_case_timers(case_id: int, now: datetime) -> bool:
    with transaction() as unit:
        case = case_store.load_case(case_id, due_at=now)
        if case is None:  # another scheduler took it, or it moved on
            return False
        workflow = checkout_workflow(case)
        mirrored = waiting_tasks(workflow)
        due = sorted(name for name, deadline in timer_deadlines(workflow).items() if deadline <= now)

        def fire():
            workflow.refresh_timers()
            workflow.do_engine_steps()

        run_engine(fire)
        audit.record("timer_fired", case_id=case.id, data={"timers": due})
        store(case, workflow, unit, actor_id=None, mirrored=mirrored)
    return True


def fire_due_timers(*, now: datetime, limit: int = 500) -> int:
    """Advance the running cases whose earliest timer is due at `now`; return how many were advanced.

    SpiffWorkflow compares timers with the wall clock, so `now` selects the cases and should be the
    current time. Each case is its own transaction: one failing case does not hold back the others.
    """
    advanced = 0
    for case_id in due_case_ids(now=now, limit=limit):
        try:
            advanced += fire_case_timers(case_id=case_id, now=now)
        except (ProcessError, ConflictError) as error:
            log.warning("timers of case %s not fired: %s", case_id, error.message)
    return advanced

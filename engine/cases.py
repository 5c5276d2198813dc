"""Commands on cases: start one, and fire the timers that are due."""

import logging
from datetime import datetime

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import audit
from engine.db import db
from engine.errors import ConflictError, InvalidInputError, NotFoundError, ProcessError
from engine.models import Case, ProcessVersion
from engine.org import get_user, resolve_location
from engine.queries import get_case
from engine.results import CaseView
from engine.runtime import load_case_workflow, parsed_version, run_engine, save_case, sync_tasks
from engine.scripting import reserved_names
from engine.serialization import new_workflow
from engine.transaction import transaction
from processes.forms import UnknownFormError, form_errors, start_form_name

log = logging.getLogger(__name__)

TITLE_FIELDS = ("title", "description", "summary")


def _check_start_data(process_id: str, data: dict) -> None:
    if not isinstance(data, dict):
        raise InvalidInputError("start data must be a JSON object")
    shadowed = reserved_names() & set(data)
    if shadowed:
        raise InvalidInputError(f"start data may not use the reserved names {sorted(shadowed)}",
                                details={name: ["reserved name"] for name in shadowed})
    try:
        errors = form_errors(start_form_name(process_id), data)
    except UnknownFormError:
        return
    if errors:
        raise InvalidInputError("the start data does not match the process's start form", details=errors)


def latest_version(process_id: str) -> ProcessVersion:
    version = db.session.scalar(
        select(ProcessVersion).where(ProcessVersion.process_id == process_id)
        .order_by(ProcessVersion.version.desc()).limit(1)
    )
    if version is None:
        raise NotFoundError(f"process {process_id!r} is not deployed; deploy it first (gongzhi deploy bpmn/)")
    return version


def start_case(*, process_id: str, data: dict, username: str | None = None) -> CaseView:
    """Start a case of the latest version of a process and run it until people or events are needed."""
    _check_start_data(process_id, data)
    with transaction():
        version = latest_version(process_id)
        actor = get_user(username) if username else None
        location = resolve_location(data.get("location"))
        title = next((str(data[key]) for key in TITLE_FIELDS if data.get(key)), version.name)
        case = Case(process_version=version, process_id=process_id, title=title[:300], location=location,
                    jurisdiction_path=location.path, started_by_id=actor.id if actor else None, state="")
        workflow = new_workflow(parsed_version(version))
        workflow.get_tasks(state=TaskState.READY)[0].data.update(data)
        run_engine(workflow.do_engine_steps)
        db.session.add(case)
        db.session.flush()
        audit.record("case_started", case_id=case.id, actor_id=case.started_by_id, data=data)
        save_case(case, workflow, actor_id=case.started_by_id)
        sync_tasks(case, workflow, actor_id=case.started_by_id)
    return get_case(case.id)


def _fire_case_timers(case_id: int, now: datetime) -> bool:
    with transaction():
        case = db.session.scalar(
            select(Case).where(Case.id == case_id, Case.status == "running", Case.next_timer_at <= now)
            .with_for_update(skip_locked=True)
        )
        if case is None:  # another scheduler took it, or it moved on
            return False
        workflow = load_case_workflow(case)
        due = [event.name for event in workflow.waiting_events()
               if "Timer" in event.event_type and event.value and datetime.fromisoformat(event.value) <= now]

        def fire():
            workflow.refresh_timers()
            workflow.do_engine_steps()

        run_engine(fire)
        audit.record("timer_fired", case_id=case.id, data={"timers": due})
        save_case(case, workflow, actor_id=None)
        sync_tasks(case, workflow, actor_id=None)
    return True


def fire_due_timers(*, now: datetime, limit: int = 500) -> int:
    """Advance the running cases whose earliest timer is due at `now`; return how many were advanced.

    SpiffWorkflow compares timers with the wall clock, so `now` selects the cases and should be the
    current time. Each case is its own transaction: one failing case does not hold back the others.
    """
    due_ids = db.session.scalars(
        select(Case.id).where(Case.status == "running", Case.next_timer_at <= now)
        .order_by(Case.next_timer_at).limit(limit)
    ).all()
    db.session.rollback()
    advanced = 0
    for case_id in due_ids:
        try:
            advanced += _fire_case_timers(case_id, now)
        except (ProcessError, ConflictError) as error:
            log.warning("timers of case %s not fired: %s", case_id, error.message)
    return advanced

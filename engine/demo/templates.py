"""Template cases: real cases played through the engine, photographed at every point where they wait.

A generated case is a copy of one of these photographs (a *snapshot*): the workflow state as the engine
saved it at that point, the task rows the case had (done and open), and its audit events. Because the
state is the engine's own, a copied case waiting at a task can be claimed and completed like any other.

Times are not copied: each command of a template gets a base duration from the deadline of the task it
acts on (claims come soon, completions around half the deadline), and a generated case stretches or
shrinks the whole timeline by its own pace. Places are not copied either: the location in the state and
in the start event is a token the bulk insert replaces, and each task's agency is resolved again for the
generated case's location.
"""

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from engine.case_store import CASE, TASK
from engine.cases import start_case
from engine.db import db
from engine.demo.simulate import sample_form
from engine.errors import EngineError
from engine.models import ACTIVE_TASK_STATUSES, AuditEvent
from engine.org import AGENCY, USER
from engine.tasks import claim_task, complete_task
from processes.forms import UnknownFormError, load_form, start_form_name
from processes.reporting import FACT_FIELDS
from processes.stages import loop_step

LOCATION_TOKEN = "@@location@@"
AGENCY_TOKEN = "@@agency@@"
MAX_COMMANDS = 80
NO_DEADLINE = 86_400  # the base a task without a deadline is given: one day
_EVENT = AuditEvent.__table__


@dataclass(frozen=True)
class SnapshotTask:
    ordinal: int
    spiff_task_id: str
    bpmn_id: str
    name: str
    lane: str | None
    agency_kind: str | None
    form: str | None
    stage: str | None
    returnable: bool
    deadline: str | None
    due_offset: int | None  # seconds from creation to due
    is_open: bool  # waiting at the snapshot (its generated status: open, claimed or cancelled)
    status: str  # the status of a done task
    created_b: int  # base seconds from the start of the case
    claimed_b: int | None
    completed_b: int | None
    satisfied: bool | None


@dataclass(frozen=True)
class SnapshotEvent:
    seq: int
    event: str
    task_ordinal: int | None
    actor_ordinal: int | None  # the task whose user acted in the command that wrote the event
    b: int
    data: str | None  # JSON, with LOCATION_TOKEN and AGENCY_TOKEN in place of codes


@dataclass(frozen=True)
class Snapshot:
    process_id: str
    process_version_id: int
    template: int  # which template case it was taken from
    title: str
    status: str  # running (waiting at its open tasks) or completed
    state: str  # with LOCATION_TOKEN in place of the location code
    b_last: int  # base seconds from the start to the command after which it was taken
    tasks: tuple[SnapshotTask, ...]
    events: tuple[SnapshotEvent, ...]
    facts: dict
    timer_iso: str | None  # the waiting timer's deadline as the state spells it
    timer_offset: int | None  # seconds from the last command to the timer
    diverted_b: int | None
    handling_open: bool  # an open task is a handling step: claiming it marks the case diverted

    @property
    def open_due(self) -> int:
        """The shortest deadline of the open tasks (NO_DEADLINE when none has one)."""
        return min((t.due_offset for t in self.tasks if t.is_open and t.due_offset), default=NO_DEADLINE)


@dataclass(frozen=True)
class _Capture:
    kind: str  # start, claim or complete
    task_id: int | None
    case: object
    tasks: dict[int, object]
    events: list


class ActingUsers:
    """Who acts for each agency: its first staff user, else the nearest supervisor above it."""

    def __init__(self, conn):
        agencies = conn.execute(select(AGENCY.c.id, AGENCY.c.code, AGENCY.c.parent_id)).all()
        users = conn.execute(select(USER.c.id, USER.c.username, USER.c.roles, USER.c.agency_id)
                             .where(USER.c.active.is_(True)).order_by(USER.c.id)).all()
        staff, supervisors = {}, {}
        for user in users:
            roles = user.roles.split(",")
            if "staff" in roles:
                staff.setdefault(user.agency_id, (user.id, user.username))
            if "supervisor" in roles:
                supervisors.setdefault(user.agency_id, (user.id, user.username))
        parents = {row.id: row.parent_id for row in agencies}
        self.codes = {row.code: row.id for row in agencies}
        self.by_agency: dict[int, tuple[int, str]] = {}
        for agency_id in parents:
            if agency_id in staff:
                self.by_agency[agency_id] = staff[agency_id]
                continue
            above = agency_id
            while above is not None and above not in supervisors:
                above = parents[above]
            if above is not None:
                self.by_agency[agency_id] = supervisors[above]

    def username_for(self, agency_code: str | None) -> str | None:
        found = self.by_agency.get(self.codes.get(agency_code)) if agency_code else None
        return found[1] if found else None


def _capture(case_id: int, kind: str, task_id: int | None) -> _Capture:
    with db.engine.connect() as conn:
        case = conn.execute(select(CASE).where(CASE.c.id == case_id)).one()
        tasks = {row.id: row for row in conn.execute(select(TASK).where(TASK.c.case_id == case_id).order_by(TASK.c.id))}
        events = conn.execute(select(_EVENT).where(_EVENT.c.case_id == case_id).order_by(_EVENT.c.id)).all()
    return _Capture(kind, task_id, case, tasks, events)


def play(process_id: str, *, template: int, location: str, rng: random.Random, actors: ActingUsers) -> list[Snapshot]:
    """Run one case of a process to its end as the demo users, and return its snapshots."""
    try:
        schema = load_form(start_form_name(process_id))
    except UnknownFormError:
        schema = {}
    case = start_case(process_id=process_id, data={**sample_form(schema, rng), "location": location})
    captures = [_capture(case.id, "start", None)]
    while case.open_tasks and len(captures) < MAX_COMMANDS:
        task = case.open_tasks[0]
        username = actors.username_for(task.agency_code)
        if username is None:
            raise EngineError(f"no user acts for {task.agency_code} (task {task.name} of {process_id})")
        claim_task(task_id=task.id, username=username)
        captures.append(_capture(case.id, "claim", task.id))
        form = sample_form(load_form(task.form), rng) if task.form else {}
        case = complete_task(task_id=task.id, username=username, data=form)
        captures.append(_capture(case.id, "complete", task.id))
    return _Timeline(process_id, template, location, captures).snapshots()


def _seconds(later: datetime | None, earlier: datetime | None) -> int | None:
    return round((later - earlier).total_seconds()) if later and earlier else None


class _Timeline:
    """The base times of a template's commands, and its snapshots."""

    def __init__(self, process_id: str, template: int, location: str, captures: list[_Capture]):
        self.process_id, self.template, self.location, self.captures = process_id, template, location, captures
        final = captures[-1].tasks
        self.ordinal = {task_id: index for index, task_id in enumerate(sorted(final), 1)}
        self.created = {t: next(k for k, c in enumerate(captures) if t in c.tasks) for t in final}
        self.claimed = {t: next((k for k, c in enumerate(captures) if t in c.tasks and c.tasks[t].claimed_at),
                                None) for t in final}
        self.closed = {t: next((k for k, c in enumerate(captures)
                                if t in c.tasks and c.tasks[t].status not in ACTIVE_TASK_STATUSES), None)
                       for t in final}
        self.due = {t: _seconds(row.due_at, row.created_at) for t, row in final.items()}
        self.base = self._base_times()
        self.event_command = []
        for k, capture in enumerate(captures):
            self.event_command += [k] * (len(capture.events) - len(self.event_command))

    def _base_times(self) -> list[int]:
        base, now, claim_delay = [], 0, {}
        for capture in self.captures:
            if capture.kind != "start":
                deadline = self.due[capture.task_id] or NO_DEADLINE
                if capture.kind == "claim":
                    claim_delay[capture.task_id] = min(round(0.15 * deadline), 3600)
                    now += claim_delay[capture.task_id]
                else:
                    now += max(round(0.55 * deadline) - claim_delay.get(capture.task_id, 0), 300)
            base.append(now)
        return base

    def snapshots(self) -> list[Snapshot]:
        found = []
        for k, capture in enumerate(self.captures):
            if capture.kind == "claim":
                continue  # a claim changes no workflow state: claimed copies come from the snapshot before it
            has_open = any(row.status in ACTIVE_TASK_STATUSES for row in capture.tasks.values())
            if (capture.case.status == "running" and has_open) or capture.case.status == "completed":
                found.append(self._snapshot(k, capture))
        return [snapshot for snapshot in found if snapshot is not None]

    def _b(self, k: int | None) -> int | None:
        return self.base[k] if k is not None else None

    def _snapshot(self, k: int, capture: _Capture) -> Snapshot | None:
        case = capture.case
        # The copies' own location replaces the token in SQL (the start task's data holds the location).
        state = re.sub(rf'"location":(\s*)"{re.escape(self.location)}"', rf'"location":\1"{LOCATION_TOKEN}"',
                       case.state)
        timer_iso = timer_offset = None
        if case.status == "running" and case.next_timer_at is not None:
            timer_iso = case.next_timer_at.isoformat()
            if state.count(timer_iso) != 1:
                return None  # a timer the copy could not move: not used
            timer_offset = _seconds(case.next_timer_at, capture.events[-1].at)
        tasks = []
        for task_id, row in capture.tasks.items():
            closed = self.closed[task_id] is not None and self.closed[task_id] <= k
            claimed = self.claimed[task_id] is not None and self.claimed[task_id] <= k
            tasks.append(SnapshotTask(
                self.ordinal[task_id], row.spiff_task_id, row.bpmn_id, row.name, row.lane, row.agency_kind, row.form,
                row.stage, row.returnable, row.deadline, self.due[task_id], not closed, row.status,
                self._b(self.created[task_id]), self._b(self.claimed[task_id]) if closed and claimed else None,
                self._b(self.closed[task_id]) if closed else None, row.satisfied))
        diverted = next((j for j, c in enumerate(self.captures[:k + 1]) if c.case.diverted_at), None)
        return Snapshot(
            self.process_id, case.process_version_id, self.template, case.title, case.status, state, self.base[k],
            tuple(tasks), tuple(self._event(i, row) for i, row in enumerate(capture.events)),
            {name: getattr(case, name) for name in FACT_FIELDS}, timer_iso, timer_offset, self._b(diverted),
            any(t.is_open and loop_step(t.stage) == "handling" for t in tasks))

    def _event(self, index: int, row) -> SnapshotEvent:
        k = self.event_command[index]
        data = dict(row.data) if isinstance(row.data, dict) else row.data
        if row.event == "case_started" and data and "location" in data:
            data["location"] = LOCATION_TOKEN
        if row.event == "task_created" and data and data.get("agency"):
            data["agency"] = AGENCY_TOKEN
        acting = self.captures[k].task_id
        return SnapshotEvent(index, row.event, self.ordinal.get(row.task_id),
                             self.ordinal.get(acting) if acting is not None else None, self.base[k],
                             json.dumps(data, ensure_ascii=False) if data is not None else None)


def play_templates(process_ids: list[str], *, locations: list[str], rng: random.Random, actors: ActingUsers,
                   on_case: Callable[[], None] | None = None) -> tuple[list[Snapshot], list[str]]:
    """Play one template case per entry of `process_ids`; return the snapshots and the errors met."""
    snapshots, errors = [], []
    for template, process_id in enumerate(process_ids):
        try:
            snapshots += play(process_id, template=template, location=rng.choice(locations), rng=rng, actors=actors)
        except EngineError as error:
            errors.append(f"{process_id}: {error.message}")
        if on_case:
            on_case()
    return snapshots, errors

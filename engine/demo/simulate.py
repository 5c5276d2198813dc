"""Run synthetic cases end to end through every deployed process, as demo users of the right agencies."""

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from engine.cases import start_case
from engine.db import db
from engine.errors import EngineError
from engine.models import Agency, ProcessVersion, User
from engine.tasks import claim_task, complete_task
from processes.forms import UnknownFormError, load_form, start_form_name

MAX_TASKS_PER_CASE = 40


@dataclass
class ProcessTally:
    cases_started: int = 0
    cases_completed: int = 0
    tasks_completed: int = 0
    errors: int = 0


    def add(self, other: "ProcessTally") -> None:
        self.cases_started += other.cases_started
        self.cases_completed += other.cases_completed
        self.tasks_completed += other.tasks_completed
        self.errors += other.errors


@dataclass
class SimulationSummary(ProcessTally):
    """The totals over all processes, each process's tally, and the first error messages."""

    by_process: dict[str, ProcessTally] = field(default_factory=dict)
    error_messages: list[str] = field(default_factory=list)


def sample_form(schema: dict, rng: random.Random) -> dict:
    """Fill a form from the `examples` (or enum, or type) of each property."""
    data = {}
    for name, prop in schema.get("properties", {}).items():
        if "examples" in prop:
            data[name] = rng.choice(prop["examples"])
        elif "enum" in prop:
            data[name] = rng.choice(prop["enum"])
        elif prop.get("type") == "boolean":
            data[name] = rng.random() < 0.5
        elif prop.get("type") in ("integer", "number"):
            data[name] = prop.get("minimum", 1)
        elif prop.get("type") == "array":
            data[name] = []
        else:
            data[name] = "模拟数据"
    return data


class _Actors:
    """Pick, for each agency, the demo user who acts for it (staff first, else a supervisor above)."""

    def __init__(self):
        users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)).all()
        self.staff = {}
        for user in users:
            if user.has_role("staff"):
                self.staff.setdefault(user.agency_id, user.username)
        self.supervisors = [(user.agency.path, user.username) for user in users if user.has_role("supervisor")]

    def for_agency(self, agency_code: str | None) -> str | None:
        agency = db.session.scalar(select(Agency).where(Agency.code == agency_code)) if agency_code else None
        if agency is None:
            return None
        if agency.id in self.staff:
            return self.staff[agency.id]
        above = [(len(path), name) for path, name in self.supervisors if agency.path.startswith(path)]
        return max(above)[1] if above else None


def _locations() -> list[str]:
    return list(db.session.scalars(select(Agency.code).where(Agency.level == "grid").order_by(Agency.code)))


def _simulate_case(process_id: str, rng: random.Random, actors: _Actors, locations: list[str],
                   tally: ProcessTally) -> None:
    try:
        schema = load_form(start_form_name(process_id))
    except UnknownFormError:
        schema = {}
    data = {**sample_form(schema, rng), "location": rng.choice(locations)}
    case = start_case(process_id=process_id, data=data)
    tally.cases_started += 1
    for _ in range(MAX_TASKS_PER_CASE):
        if not case.open_tasks:
            break
        task = case.open_tasks[0]
        username = actors.for_agency(task.agency_code)
        if username is None:
            raise EngineError(f"no demo user can act for task {task.id} ({task.name}) of case {case.id}")
        claim_task(task_id=task.id, username=username)
        form = sample_form(load_form(task.form), rng) if task.form else {}
        case = complete_task(task_id=task.id, username=username, data=form)
        tally.tasks_completed += 1
    if case.status == "completed":
        tally.cases_completed += 1


def simulate(*, cases: int, seed: int = 1, on_case: Callable[[], None] | None = None) -> SimulationSummary:
    """Start `cases` cases, taking the deployed processes in turn, and work each one to its end."""
    rng = random.Random(seed)
    processes = sorted(set(db.session.scalars(select(ProcessVersion.process_id))))
    actors, locations = _Actors(), _locations()
    summary = SimulationSummary(by_process={pid: ProcessTally() for pid in processes})
    for index in range(cases if processes else 0):
        process_id = processes[index % len(processes)]
        tally = summary.by_process[process_id]
        try:
            _simulate_case(process_id, rng, actors, locations, tally)
        except EngineError as error:
            tally.errors += 1
            if len(summary.error_messages) < 20:
                summary.error_messages.append(f"{process_id}: {error.message}")
        if on_case:
            on_case()
    for tally in summary.by_process.values():
        summary.add(tally)
    return summary

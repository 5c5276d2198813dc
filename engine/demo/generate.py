"""Generate a year of realistic history at scale: agencies, cases in every state, open tasks, audit events.

The first cases (TEMPLATES_PER_PROCESS per shipped process) are played through the engine as template
cases (engine/demo/templates.py); the rest copy their snapshots, planned in Python (engine/demo/planner.py)
and written by set-based SQL in chunks (engine/demo/bulk.py, engine/demo/writer.py). Generating again
adds more cases. See docs/scale.md.
"""

import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, inspect, select, text
from werkzeug.security import generate_password_hash

from engine.case_store import CASE, VERSION
from engine.db import db, utcnow
from engine.demo.bulk import CANDIDATE, LOCATION, SNAPSHOT, SNAPSHOT_EVENT, SNAPSHOT_TASK
from engine.demo.city import grow_city, streets_for
from engine.demo.load import demo_org
from engine.demo.planner import PROCESS_SHARES, Places, Planner
from engine.demo.templates import ActingUsers, Snapshot, play_templates
from engine.demo.writer import write_chunks
from engine.errors import InvalidInputError, NotFoundError
from engine.org import AGENCY

TEMPLATES_PER_PROCESS = 8
SQLITE_MAX_CASES = 100_000
CHUNK_SIZE = {"postgresql": 25_000, "sqlite": 5_000}
WORKERS = {"postgresql": min(2, os.cpu_count() or 1), "sqlite": 1}
# Tables the generator writes (the city grows too): their statistics are refreshed at the end.
WRITTEN_TABLES = ("case_record", "task", "audit_event", "supervision_step", "incident", "agency", "app_user")


@dataclass
class GenerateResult:
    cases: int
    template_cases: int
    agencies_added: int
    streets: int
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)  # rows the bulk insert wrote, by table
    by_status: dict[str, int] = field(default_factory=dict)  # every case in the database afterwards, by status
    errors: list[str] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return sum(self.rows.values()) / max(self.seconds, 1e-6)


def check_can_generate(cases: int) -> None:
    """Raise what stands in the way of generating `cases` cases on this database (nothing: go ahead)."""
    dialect = db.engine.dialect.name
    if cases <= 0:
        raise InvalidInputError(f"--cases must be at least 1, not {cases}", details={"cases": ["at least 1"]})
    if dialect == "sqlite" and cases > SQLITE_MAX_CASES:
        raise InvalidInputError(
            f"SQLite holds up to {SQLITE_MAX_CASES:,} generated cases at a time; for {cases:,} use PostgreSQL "
            "(GONGZHI_DATABASE_URL=postgresql://...)", details={"cases": [f"at most {SQLITE_MAX_CASES} on SQLite"]})
    if not inspect(db.engine).has_table(CASE.name):
        raise NotFoundError("the database has no tables yet: run `gongzhi db upgrade`, then `gongzhi demo load`")
    deployed = set(db.session.scalars(select(VERSION.c.process_id).distinct()))
    missing = sorted(set(PROCESS_SHARES) - deployed)
    has_grids = db.session.scalar(select(func.count()).select_from(AGENCY).where(AGENCY.c.level == "grid"))
    if missing or not has_grids:
        what = f"processes {', '.join(missing)} are not deployed" if missing else "there are no grids"
        raise NotFoundError(f"the demo is not loaded ({what}): run `gongzhi demo load` first")


def _template_processes(cases: int, per_process: int) -> list[str]:
    return [pid for _ in range(per_process) for pid in PROCESS_SHARES][:cases]


def generate_history(*, cases: int, seed: int = 1, now: datetime | None = None, chunk_size: int | None = None,
                     templates_per_process: int = TEMPLATES_PER_PROCESS, workers: int | None = None,
                     on_progress: Callable[[int], None] | None = None) -> GenerateResult:
    """Add `cases` cases of history over the year before `now` on top of what the database holds.

    Needs the demo (`load_demo`): the shipped processes and the agency tree, which grows to a street per
    5,000 cases in the database. Raises InvalidInputError for a count below 1 (or above SQLITE_MAX_CASES
    on SQLite) and NotFoundError when the demo is not loaded. `on_progress` is called with each batch of
    cases written.
    """
    check_can_generate(cases)
    dialect = db.engine.dialect.name
    started, now = time.perf_counter(), now or utcnow()
    rng = random.Random(seed)
    progress = on_progress or (lambda _n: None)
    before = db.session.scalar(select(func.count()).select_from(CASE))
    with db.engine.begin() as conn:
        added = grow_city(conn, streets=streets_for(before + cases),
                          password_hash=generate_password_hash(demo_org()["password"]))
        streets = conn.execute(select(func.count()).select_from(AGENCY).where(AGENCY.c.kind == "street")).scalar()
        actors, places = ActingUsers(conn), Places(conn)
    db.session.remove()
    grids = sorted(agency.code for agency in places.agencies.values() if agency.level == "grid")
    snapshots, errors = play_templates(_template_processes(cases, templates_per_process), locations=grids, rng=rng,
                                       actors=actors, on_case=lambda: progress(1))
    template_cases = db.session.scalar(select(func.count()).select_from(CASE)) - before
    db.session.remove()
    result = GenerateResult(cases=template_cases, template_cases=template_cases, agencies_added=added,
                            streets=streets, seconds=0.0, errors=errors)
    remaining = cases - template_cases
    if remaining > 0:
        if not snapshots:
            raise InvalidInputError("no template case could be played: " + "; ".join(errors[:3]))
        _bulk(remaining, snapshots, places, actors, rng, now, chunk_size or CHUNK_SIZE.get(dialect, 5_000),
              workers or WORKERS.get(dialect, 1), result, progress)
        result.cases += remaining
    result.seconds = time.perf_counter() - started
    result.by_status = dict(db.session.execute(select(CASE.c.status, func.count()).group_by(CASE.c.status)).all())
    db.session.remove()
    return result


def _static_rows(snapshots: list[Snapshot], places: Places, locations: list[int], actors: ActingUsers) -> dict:
    """The rows of the temporary tables every chunk reads: snapshots, locations and candidate agencies."""
    kinds = sorted({task.agency_kind for s in snapshots for task in s.tasks if task.agency_kind})
    candidates = []
    for location in sorted(set(locations)):
        for kind in kinds:
            agency = places.candidate(kind, location)
            if agency is not None:
                user = actors.by_agency.get(agency.id)
                candidates.append({"location_id": location, "kind": kind, "agency_id": agency.id,
                                   "agency_code": agency.code, "user_id": user[0] if user else None})
    return {
        SNAPSHOT: [{"id": index, "process_version_id": s.process_version_id, "process_id": s.process_id,
                    "title": s.title, "state": s.state, "timer_iso": s.timer_iso, "timer_offset": s.timer_offset,
                    **s.facts} for index, s in enumerate(snapshots, 1)],
        SNAPSHOT_TASK: [{"snapshot_id": index, **vars(task)} for index, s in enumerate(snapshots, 1)
                        for task in s.tasks],
        SNAPSHOT_EVENT: [{"snapshot_id": index, **vars(event)} for index, s in enumerate(snapshots, 1)
                         for event in s.events],
        LOCATION: [{"id": place.id, "path": place.path, "code": place.code}
                   for place in (places.agencies[i] for i in sorted(set(locations)))],
        CANDIDATE: candidates,
    }


def _bulk(count: int, snapshots: list[Snapshot], places: Places, actors: ActingUsers, rng: random.Random,
          now: datetime, chunk_size: int, workers: int, result: GenerateResult,
          progress: Callable[[int], None]) -> None:
    locations = places.location_slots()
    planner = Planner(snapshots, locations, rng, int(now.timestamp()))

    def chunks() -> Iterator[list[dict]]:
        for start in range(0, count, chunk_size):
            yield [planner.plan() for _ in range(min(chunk_size, count - start))]

    def written(cases: int, rows: dict[str, int]) -> None:
        for table, number in rows.items():
            result.rows[table] = result.rows.get(table, 0) + number
        progress(cases)

    write_chunks(engine=db.engine, chunks=chunks(), static=_static_rows(snapshots, places, locations, actors),
                 now=int(now.timestamp()), workers=workers, on_written=written)
    with db.engine.begin() as conn:  # the planner needs the new figures before the next query
        for table in WRITTEN_TABLES:
            conn.execute(text(f"ANALYZE {table}"))

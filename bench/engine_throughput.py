"""Benchmark one dispute-funnel case, start to end, in memory and on the platform.

The case takes the longest path: no agreement at community and street mediation, the station's joint-
mediation request to two agencies (a parallel multi-instance task), no agreement at its conclusion, then
online filing at the shared court (7 user tasks). On the platform every claim and every completion is
its own command and transaction, as in real use.

Figures, in ms per case (medians over timed cases, warm-up cases excluded):
  in-memory      the same diagram run by SpiffWorkflow alone, no persistence (the engine's floor)
  sqlite         the platform on a fresh SQLite file
  postgres       the platform on PostgreSQL (database gongzhi_bench), when a URL is given
  commit floor   transactions per case x a bare one-row INSERT+COMMIT on the same database
  overhead       platform / (in-memory + commit floor); the target is at most 2.0

    .venv/bin/python bench/engine_throughput.py [--quick] [--postgres-url postgresql://...]

The last line printed is a JSON object with the figures.
"""

import argparse
import json
import logging
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from bench_db import postgres_bench_url
from flask import Flask
from flask_migrate import upgrade
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import event, text

import engine
from engine.db import db
from engine.demo.load import SHIPPED_BPMN, load_demo
from engine.deploy import read_sources
from engine.serialization import new_workflow
from engine.specs import parse_sources
from processes.forms import form_errors, start_form_name
from web.app import MIGRATIONS_DIR, create_app

PROCESS_ID = "dispute_funnel"
START_DATA = {"source": "police", "location": "sjm-duntou-g1", "parties": ["Zhang", "Li"],
              "summary": "Dispute over compensation for an injury"}
STARTED_BY = "sjm-duntou-g1"  # the grid worker of the location
# Form data by form name: no agreement at any mediation level, so the case goes all the way to the court.
FORMS = {
    "community_mediation": {"agreement": False, "community_mediation_note": "Met both parties; no agreement"},
    "street_mediation": {"agreement": False, "street_mediation_note": "Street office mediated; no agreement"},
    "dispute_joint_request": {"requested_agencies": ["justice_office", "community"],
                              "joint_request_note": "Joint mediation requested"},
    "joint_mediation": {"joint_mediation_note": "Took part in the joint mediation"},
    "dispute_joint_conclusion": {"agreement": False, "joint_conclusion_note": "Joint mediation; no agreement"},
    "dispute_online_filing": {"filing_case_number": "(2024) Zhe 0903 Min Chu 123"},
}
# The demo user who acts for each candidate agency of a case located at sjm-duntou-g1.
ACTORS = {"sjm-duntou": "sjm-duntou", "sjm-office": "sjm-office", "sjm-station": "sjm-station",
          "pt-justice": "pt-mediator", "pt-court": "pt-clerk"}
PATH = ("Task_CommunityMediation", "Task_StreetMediation", "Task_JointRequest", "Task_JointMediation",
        "Task_JointMediation", "Task_JointConclusion", "Task_OnlineFiling")
SCRATCH_TABLE = "bench_commit_floor"


def check_forms() -> None:
    for name, data in {start_form_name(PROCESS_ID): START_DATA, **FORMS}.items():
        if errors := form_errors(name, data):
            raise SystemExit(f"benchmark data does not fit form {name}: {errors}")


def timed(run_case: Callable[[], tuple[str, ...]], cases: int, warmup: int) -> list[float]:
    """Run warm-up and timed cases; check each took the expected path; return the timed ms per case."""
    timings = []
    for index in range(warmup + cases):
        start = time.perf_counter()
        path = run_case()
        elapsed = (time.perf_counter() - start) * 1000
        if path != PATH:
            raise SystemExit(f"the case took the path {path}, expected {PATH}")
        if index >= warmup:
            timings.append(elapsed)
    return timings


def in_memory_case(parsed) -> tuple[str, ...]:
    workflow = new_workflow(parsed)
    workflow.get_tasks(state=TaskState.READY)[0].data.update(START_DATA)
    workflow.do_engine_steps()
    path = []
    while ready := workflow.get_tasks(state=TaskState.READY, manual=True):
        task = ready[0]
        task.data.update(FORMS[task.task_spec.extensions["properties"]["form"]])
        task.run()
        workflow.do_engine_steps()
        path.append(task.task_spec.bpmn_id)
    if not workflow.is_completed():
        raise SystemExit("the in-memory case did not complete")
    return tuple(path)


def command(kind: str, run: Callable, **arguments):
    """Run one command; add its ms to COMMAND_MS[kind]."""
    start = time.perf_counter()
    result = run(**arguments)
    COMMAND_MS[kind].append((time.perf_counter() - start) * 1000)
    return result


COMMAND_MS: dict[str, list[float]] = {"start": [], "claim": [], "complete": []}


@contextmanager
def commits_timed(dialect) -> Iterator[list[float]]:
    """Time every COMMIT the dialect sends while the block runs; yield the list of ms it fills.

    The timing adds about a microsecond to each commit, the platform's and the floor's alike.
    """
    do_commit, timings = dialect.do_commit, []

    def timed_commit(dbapi_connection):
        start = time.perf_counter()
        do_commit(dbapi_connection)
        timings.append((time.perf_counter() - start) * 1000)

    dialect.do_commit = timed_commit
    try:
        yield timings
    finally:
        del dialect.do_commit


def platform_case() -> tuple[str, ...]:
    case = command("start", engine.start_case, process_id=PROCESS_ID, data=START_DATA, username=STARTED_BY)
    path = []
    while case.open_tasks:
        task = case.open_tasks[0]
        if task.agency_code not in ACTORS:
            raise SystemExit(f"no benchmark user for agency {task.agency_code!r} (task {task.bpmn_id})")
        username = ACTORS[task.agency_code]
        command("claim", engine.claim_task, task_id=task.id, username=username)
        case = command("complete", engine.complete_task, task_id=task.id, username=username, data=FORMS[task.form])
        path.append(task.bpmn_id)
    if case.status != "completed":
        raise SystemExit(f"the platform case ended {case.status}, not completed")
    return tuple(path)


def commit_ms(samples: int) -> tuple[float, float]:
    """Median ms of a bare one-row INSERT+COMMIT through the app's engine (same driver and pragmas), and of
    its COMMIT alone."""
    with db.engine.connect() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {SCRATCH_TABLE}"))
        connection.execute(text(f"CREATE TABLE {SCRATCH_TABLE} (id INTEGER PRIMARY KEY, note VARCHAR(40))"))
        connection.commit()
        timings = []
        with commits_timed(db.engine.dialect) as commits:
            for index in range(samples):
                start = time.perf_counter()
                connection.execute(text(f"INSERT INTO {SCRATCH_TABLE} (id, note) VALUES (:id, 'x')"), {"id": index})
                connection.commit()
                timings.append((time.perf_counter() - start) * 1000)
        connection.execute(text(f"DROP TABLE {SCRATCH_TABLE}"))
        connection.commit()
    return statistics.median(timings), statistics.median(commits)


def run_platform(app: Flask, cases: int, warmup: int, commit_samples: int) -> dict:
    """Migrate the app's empty database, load the demo data, and time the workload and the commit floor."""
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        load_demo()
        commits = 0

        def count_commit(_connection):
            nonlocal commits
            commits += 1

        event.listen(db.engine, "commit", count_commit)
        try:
            timed(platform_case, 0, warmup)
            for kind in COMMAND_MS:
                COMMAND_MS[kind].clear()
            with commits_timed(db.engine.dialect) as own_commits:
                timings = timed(platform_case, cases, 0)
        finally:
            event.remove(db.engine, "commit", count_commit)
        db.session.remove()
        transactions, remainder = divmod(commits, warmup + cases)
        if remainder:
            raise SystemExit(f"{commits} commits for {warmup + cases} cases: not the same for every case")
        bare, bare_commit = commit_ms(commit_samples)
        floor = transactions * bare
        db.engine.dispose()
    commands = {kind: statistics.median(ms) for kind, ms in COMMAND_MS.items()}
    return {"timings": timings, "transactions": transactions, "commit_floor_ms": floor, "commands": commands,
            "commit_ms": bare, "bare_commit_ms": bare_commit, "own_commit_ms": statistics.median(own_commits)}


def summary(label: str, timings: list[float]) -> float:
    p50 = statistics.median(timings)
    print(f"{label:<12} p50 {p50:8.2f} ms   mean {statistics.fmean(timings):8.2f} ms   ({len(timings)} cases)")
    return p50


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="30 cases per platform: within a minute")
    parser.add_argument("--cases", type=int, help="timed cases per platform (default 200, 30 with --quick)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed cases first (default 5)")
    parser.add_argument("--postgres-url", default=os.environ.get("GONGZHI_TEST_POSTGRES_URL"),
                        help="PostgreSQL server (default: $GONGZHI_TEST_POSTGRES_URL); skipped when empty")
    args = parser.parse_args()
    cases = args.cases or (30 if args.quick else 200)
    commit_samples = 200 if args.quick else 1000
    logging.disable(logging.INFO)  # the migrations' log lines
    check_forms()

    parsed = next(p for p in parse_sources(read_sources([str(SHIPPED_BPMN)])) if p.process_id == PROCESS_ID)
    in_memory = summary("in-memory", timed(lambda: in_memory_case(parsed), cases, args.warmup))

    databases = {}
    with tempfile.TemporaryDirectory(prefix="gongzhi-bench-") as tmp:
        databases["sqlite"] = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db"}, instance_path=tmp)
        if args.postgres_url:
            # The engine options are what web/config.py gives every database.
            databases["postgres"] = create_app({"SQLALCHEMY_DATABASE_URI": postgres_bench_url(args.postgres_url)},
                                               instance_path=tmp)
        results = {name: run_platform(app, cases, args.warmup, commit_samples) for name, app in databases.items()}

    if len({result["transactions"] for result in results.values()}) > 1:
        raise SystemExit("the databases needed different numbers of transactions per case")
    figures = {"in_memory_ms": rounded(in_memory)}
    for name in ("sqlite", "postgres"):
        platform = floor = overhead = None
        if name in results:
            platform, floor = summary(name, results[name]["timings"]), results[name]["commit_floor_ms"]
            overhead = platform / (in_memory + floor)
            print(f"{'':<12} {results[name]['transactions']} transactions x bare INSERT+COMMIT: commit floor "
                  f"{floor:.2f} ms; overhead {overhead:.2f} (target <= 2.0: {'met' if overhead <= 2 else 'MISSED'})")
            commands = results[name]["commands"]
            print(f"{'':<12} p50 per command: start {commands['start']:.2f} ms, claim {commands['claim']:.2f} ms, "
                  f"complete {commands['complete']:.2f} ms; a bare INSERT+COMMIT {results[name]['commit_ms']:.2f} ms")
            own = results[name]["own_commit_ms"]
            print(f"{'':<12} p50 of a COMMIT alone: the platform's {own:.2f} ms (its rows, their indexes, the audit "
                  f"events), the bare INSERT's {results[name]['bare_commit_ms']:.2f} ms")
            figures[f"{name}_command_ms"] = {kind: rounded(ms) for kind, ms in commands.items()}
            figures[f"{name}_commit_alone_ms"] = {"platform": rounded(own),
                                                  "bare_insert": rounded(results[name]["bare_commit_ms"])}
        figures |= {f"{name}_ms": rounded(platform), f"commit_floor_{name}_ms": rounded(floor),
                    f"overhead_{name}": rounded(overhead)}
    figures |= {"cases": cases, "transactions_per_case": results["sqlite"]["transactions"]}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

"""Benchmark one SLA monitor pass on PostgreSQL with 100,000 and with 1,000,000 open tasks.

Each size lives in its own database (gongzhi_bench_sla_<size>) with the same 100 tasks newly past their
deadline (and 1% of the open tasks already marked overdue by earlier passes). A pass is what the
monitor does every tick: `mark_breaches` (find the new breaches, mark them, schedule their supervision
chains, write audit events) then `send_due_supervision` (send the reminders due at the breach). Both
databases are built and checkpointed first; then the passes alternate between them, the breaches reset
before each, so the machine's noise falls on both sizes alike. Medians are reported. Target: under
100 ms, and the 1M pass at most 1.5x the 100k pass.

    .venv/bin/python bench/sla_scan.py [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres]
                                       [--sizes 100000,1000000] [--repeat 15]

The last line printed is a JSON object: pass_ms_100k, pass_ms_1m, ratio.
"""

import argparse
import json
import logging
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime

from bench_db import postgres_bench_url
from flask_migrate import upgrade
from sqlalchemy import text

from engine.db import db
from engine.demo.load import load_demo
from engine.sla import mark_breaches, send_due_supervision
from web.app import MIGRATIONS_DIR, create_app

BREACHES = 100

# One case per task, spread over the demo's street-level agencies; due dates in the next 30 days, but
# for the BREACHES tasks just past due and 1% already marked overdue.
FILL = """
INSERT INTO case_record (process_version_id, process_id, title, status, location_id, jurisdiction_path, state,
                         version, created_at, updated_at)
SELECT :version_id, 'diversion', 'bench ' || i, 'running', :location_id, :path, '{}', 1, :now, :now
FROM generate_series(1, :n) AS i;
INSERT INTO task (case_id, spiff_task_id, bpmn_id, name, returnable, status, candidate_agency_id, created_at,
                  due_at, overdue_at, version)
SELECT c.id, md5(c.id::text), 'Task_StreetHandling', '街道处置', false,
       CASE WHEN c.id % 3 = 0 THEN 'claimed' ELSE 'open' END,
       (ARRAY[:a1, :a2, :a3])[1 + c.id % 3], :now,
       CASE WHEN c.id <= :breaches THEN :now - (c.id || ' minutes')::interval
            WHEN c.id % 100 = 0 THEN :now - interval '2 days'
            ELSE :now + ((c.id % 43200) || ' minutes')::interval END,
       CASE WHEN c.id > :breaches AND c.id % 100 = 0 THEN :now - interval '1 day' END,
       1
FROM case_record c;
"""
RESET = """
UPDATE task SET overdue_at = NULL WHERE id <= :breaches;
DELETE FROM notice; DELETE FROM supervision_step;
DELETE FROM audit_event WHERE event IN ('overdue', 'supervision_sent');
"""


def build(n: int, now: datetime) -> None:
    """Empty the cases and tasks, then fill `n` open tasks."""
    with db.engine.begin() as conn:
        conn.execute(text("TRUNCATE notice, supervision_step, audit_event, task_comment, task_extension, task, "
                          "case_record RESTART IDENTITY CASCADE"))
        agencies = dict(conn.execute(text("SELECT code, id FROM agency WHERE code IN "
                                          "('sjm-squad', 'dg-squad', 'zjj-squad', 'sjm-duntou-g1')")).all())
        location = conn.execute(text("SELECT id, path FROM agency WHERE code = 'sjm-duntou-g1'")).one()
        version_id = conn.execute(text("SELECT id FROM process_version WHERE process_id = 'diversion'")).scalar()
        params = {"n": n, "now": now, "breaches": BREACHES, "version_id": version_id, "location_id": location.id,
                  "path": location.path, "a1": agencies["sjm-squad"], "a2": agencies["dg-squad"],
                  "a3": agencies["zjj-squad"]}
        for statement in FILL.split(";"):
            if statement.strip():
                conn.execute(text(statement), params)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE task"))
        conn.execute(text("VACUUM ANALYZE case_record"))


def reset() -> None:
    with db.engine.begin() as conn:
        for statement in RESET.split(";"):
            if statement.strip():
                conn.execute(text(statement), {"breaches": BREACHES})


def one_pass(now: datetime) -> tuple[float, int, int]:
    started = time.perf_counter()
    breaches = mark_breaches(now=now)
    notices = send_due_supervision(now=now)
    return (time.perf_counter() - started) * 1000, breaches, notices


def plan(now: datetime) -> str:
    query = ("EXPLAIN SELECT task.id FROM task WHERE task.overdue_at IS NULL AND task.status IN ('open', 'claimed') "
             "AND task.due_at < :now ORDER BY task.due_at LIMIT 1000")
    with db.engine.connect() as conn:
        return "\n".join(row[0] for row in conn.execute(text(query), {"now": now}))


def prepare(url: str, n: int, now: datetime):
    """An app on its own database holding `n` open tasks."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": postgres_bench_url(url, f"gongzhi_bench_sla_{n}")},
                     instance_path=tempfile.mkdtemp(prefix="gongzhi-bench-"))
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        load_demo()
        started = time.perf_counter()
        build(n, now)
        print(f"{n:>9,} open tasks built in {time.perf_counter() - started:.1f} s")
    return app


def timed_pass(app, now: datetime) -> float:
    with app.app_context():
        reset()
        elapsed, breaches, notices = one_pass(now)
    if (breaches, notices) != (BREACHES, BREACHES):
        raise SystemExit(f"a pass found {breaches} breaches and sent {notices} notices, not {BREACHES}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=os.environ.get("GONGZHI_TEST_POSTGRES_URL")
                        or "postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    sizes = [int(size) for size in args.sizes.split(",")]
    now = datetime.now(UTC)
    apps = {n: prepare(args.postgres_url, n, now) for n in sizes}
    with apps[sizes[-1]].app_context(), db.engine.connect() as conn:
        conn.execute(text("CHECKPOINT"))  # the bulk load's writes are not left to land during the passes
    timings: dict[int, list[float]] = {n: [] for n in sizes}
    for round_ in range(args.repeat + 1):
        for n in sizes:
            elapsed = timed_pass(apps[n], now)
            if round_:  # the first round warms the caches and is not counted
                timings[n].append(elapsed)
    figures = {}
    for n in sizes:
        figures[n] = statistics.median(timings[n])
        print(f"{n:>9,} open tasks: pass p50 {figures[n]:7.2f} ms  (min {min(timings[n]):.2f}, max "
              f"{max(timings[n]):.2f}; {BREACHES} breaches and {BREACHES} reminders a pass)")
    with apps[sizes[-1]].app_context():
        print(f"plan of the breach query at {sizes[-1]:,} open tasks:\n" + plan(now))
    small, large = figures[sizes[0]], figures[sizes[-1]]
    print(json.dumps({"pass_ms_100k": round(small, 2), "pass_ms_1m": round(large, 2),
                      "ratio": round(large / small, 3), "sizes": sizes, "breaches": BREACHES}))


if __name__ == "__main__":
    main()

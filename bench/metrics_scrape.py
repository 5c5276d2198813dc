"""Benchmark a Prometheus scrape of /metrics on a large PostgreSQL database: the backlog queries it runs.

The database gets --cases cases (10% running, 1% of those with a timer, some of them due), --tasks tasks
(5% open, 5% claimed, deadlines from 5 days ago to 5 days ahead) and --outbox messages (0.1% pending,
0.02% dead, the rest sent), then VACUUM ANALYZE, as autovacuum leaves a live database. It times each
backlog query alone, `engine.backlog.backlog()` and a whole GET /metrics (the medians of --repeat runs).

    .venv/bin/python bench/metrics_scrape.py [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres]
        [--database gongzhi_bench_metrics] [--cases 100000] [--tasks 400000] [--outbox 300000] [--repeat 30]

The database named by --database is created if missing and its tables dropped first. The last line
printed is a JSON object: the medians in milliseconds.
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

from engine.backlog import backlog
from engine.db import db
from web.app import MIGRATIONS_DIR, create_app

FILL = [
    "INSERT INTO agency (id, code, name, level, kind, path, cross_area) "
    "VALUES (1, 'a', 'a', 'city', 'city', '/a/', false)",
    "INSERT INTO process_version (id, process_id, name, version, content_hash, sources, deployed_at) "
    "VALUES (1, 'p', 'p', 1, 'h', '{}', now())",
    """INSERT INTO case_record (id, process_version_id, process_id, title, status, location_id, jurisdiction_path,
                                state, next_timer_at, version, created_at, updated_at, reopened_count)
       SELECT g, 1, 'p', '', CASE WHEN g % 10 = 0 THEN 'running' ELSE 'completed' END, 1, '/a/', '{}',
              CASE WHEN g % 1000 = 0 THEN now() + (g % 7 - 3) * interval '1 hour' END, 1, now(), now(), 0
       FROM generate_series(1, :cases) g""",
    """INSERT INTO task (case_id, spiff_task_id, bpmn_id, name, status, created_at, due_at, returnable, version)
       SELECT (g % :cases) + 1, md5(g::text), 't', 't',
              CASE WHEN g % 20 = 0 THEN 'open' WHEN g % 20 = 1 THEN 'claimed' ELSE 'completed' END,
              now(), now() + (g % 11 - 5) * interval '1 day', false, 1
       FROM generate_series(1, :tasks) g""",
    """INSERT INTO outbox (topic, dedupe_key, payload, status, attempts, next_attempt_at, created_at)
       SELECT 'webhook', 'k' || g, '{"notice_id": 1, "channel_id": 1}',
              CASE WHEN g % 1000 = 0 THEN 'pending' WHEN g % 5000 = 1 THEN 'dead' ELSE 'sent' END,
              1, now() - interval '1 minute', now()
       FROM generate_series(1, :outbox) g""",
]
QUERIES = {
    "tasks": "SELECT status, count(*), count(CASE WHEN due_at < now() THEN 1 END) FROM task "
             "WHERE status IN ('open', 'claimed') GROUP BY status",
    "outbox_pending": "SELECT count(*), min(next_attempt_at) FROM outbox WHERE status = 'pending'",
    "outbox_dead": "SELECT count(*) FROM outbox WHERE status = 'dead'",
    "timers_due": "SELECT count(*) FROM case_record WHERE status = 'running' AND next_timer_at <= now()",
}


def timed(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=os.environ.get("GONGZHI_TEST_POSTGRES_URL")
                        or "postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="gongzhi_bench_metrics")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--tasks", type=int, default=400_000)
    parser.add_argument("--outbox", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    logging.disable(logging.INFO)

    url = postgres_bench_url(args.postgres_url, args.database)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url}, instance_path=tempfile.mkdtemp(prefix="gongzhi-bench-"))
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        started = time.perf_counter()
        with db.engine.begin() as connection:
            for statement in FILL:
                connection.execute(text(statement), {"cases": args.cases, "tasks": args.tasks,
                                                     "outbox": args.outbox})
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
        print(f"filled in {time.perf_counter() - started:.0f} s: {args.cases} cases, {args.tasks} tasks, "
              f"{args.outbox} outbox messages")

        figures = {}
        with db.engine.connect() as connection:
            for name, sql in QUERIES.items():
                figures[f"{name}_ms"] = timed(lambda sql=sql: connection.execute(text(sql)).all(), args.repeat)
                plan = connection.execute(text("EXPLAIN " + sql)).scalars().all()
                scans = [line.strip().lstrip("-> ").split("  (")[0] for line in plan if "Scan" in line]
                print(f"{name:15} {figures[f'{name}_ms']:8.2f} ms   {'; '.join(scans)}")

        def one_pass():
            backlog(now=datetime.now(UTC))
            db.session.rollback()

        figures["backlog_ms"] = timed(one_pass, args.repeat)
        client = app.test_client()
        figures["scrape_ms"] = timed(lambda: client.get("/metrics"), args.repeat)
        print(f"engine.backlog.backlog() {figures['backlog_ms']} ms, GET /metrics {figures['scrape_ms']} ms "
              f"(medians of {args.repeat})")
        db.engine.dispose()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

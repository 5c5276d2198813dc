"""Benchmark the full indicator set on PostgreSQL with 1,000,000 cases: one month city-wide and one street.

The cases (with four tasks each, their audit events, supervision notices and about two incidents per case)
are spread evenly over two years around June 2025, in three streets, so a month holds about 41,000 cases and
165,000 tasks. The indicator set is what GET /api/v1/indicators computes: the month, the month before and
the same month a year earlier. Medians of several runs after one warm-up. Target: under 1 s each.

    .venv/bin/python bench/reports.py [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres]
                                      [--cases 1000000] [--repeat 7]

The last line printed is a JSON object: city_month_ms, street_month_ms.
"""

import argparse
import json
import logging
import os
import statistics
import tempfile
import time
from datetime import date

from bench_db import postgres_bench_url
from flask_migrate import upgrade
from sqlalchemy import text

from engine.db import db
from engine.demo.load import load_demo
from engine.indicators import Period, Scope, indicators, resolve_scope
from web.app import MIGRATIONS_DIR, create_app

JUNE = Period(date(2025, 6, 1), date(2025, 7, 1))
START = "2024-07-01 00:00:00+08"
SPAN_SECONDS = 730 * 86400

FILL = """
INSERT INTO case_record (process_version_id, process_id, title, status, location_id, jurisdiction_path, state,
                         version, created_at, updated_at, completed_at, category, closure, resolved_level,
                         court_outcome, reopened_count, diverted_at)
SELECT (ARRAY[:v_div, :v_div, :v_div, :v_dis, :v_sea])[1 + i % 5],
       (ARRAY['diversion', 'diversion', 'diversion', 'dispute_funnel', 'sea_land'])[1 + i % 5],
       'bench ' || i, CASE WHEN i % 10 = 9 THEN 'running' ELSE 'completed' END,
       (ARRAY[:l1, :l2, :l3])[1 + i % 3], (ARRAY[:p1, :p2, :p3])[1 + i % 3], '{}', 1, t.created, t.created,
       CASE WHEN i % 10 <> 9 THEN t.created + ((i % 97) * interval '1 hour') END,
       (ARRAY['noise', 'property_damage', 'wage_dispute', 'neighbour_dispute', 'theft', 'fishing_dispute'])[1 + i % 6],
       CASE WHEN i % 5 >= 3 THEN NULL WHEN i % 7 = 0 THEN 'police' ELSE 'diverted' END,
       CASE WHEN i % 5 = 3 AND i % 10 <> 9 THEN (ARRAY['community', 'street', 'joint', 'court'])[1 + i % 4] END,
       CASE WHEN i % 5 = 3 AND i % 10 <> 9 THEN (ARRAY['none', 'none', 'confirmed', 'filed'])[1 + i % 4] END,
       CASE WHEN i % 20 = 0 THEN 1 ELSE 0 END,
       t.created + ((i % 120) * interval '1 minute')
FROM generate_series(1, :n) AS i,
     LATERAL (SELECT CAST(:start AS timestamptz) + ((i::bigint * :span) / :n) * interval '1 second' AS created) AS t;
INSERT INTO task (case_id, jurisdiction_path, spiff_task_id, bpmn_id, name, returnable, status, candidate_agency_id,
                  stage, created_at,
                  due_at, completed_at, overdue_at, satisfied, version)
SELECT c.id, c.jurisdiction_path, md5(c.id::text || '-' || s.k), s.bpmn, s.name, s.k < 4,
       CASE WHEN c.completed_at IS NULL AND s.k = 4 THEN 'open' WHEN (c.id + s.k) % 50 = 0 THEN 'returned'
            ELSE 'completed' END,
       CASE s.k WHEN 1 THEN :a_city WHEN 2 THEN :a_district WHEN 3 THEN (ARRAY[:s1, :s2, :s3])[1 + c.id % 3]
                ELSE (ARRAY[:o1, :o2, :o3])[1 + c.id % 3] END,
       s.stage, c.created_at + (s.k - 1) * interval '30 minutes', c.created_at + s.k * interval '1 hour',
       CASE WHEN c.completed_at IS NULL AND s.k = 4 THEN NULL
            ELSE c.created_at + (s.k * 40 + c.id % 50) * interval '1 minute' END,
       CASE WHEN (c.id + s.k) % 20 = 0 THEN c.created_at + s.k * interval '1 hour' END,
       CASE WHEN s.k = 4 AND c.completed_at IS NOT NULL THEN c.id % 50 <> 0 END, 1
FROM case_record c CROSS JOIN (VALUES (1, 'Task_CityDispatch', '市级分流', 'transfer'),
                                      (2, 'Task_DistrictDispatch', '区级分流', 'transfer'),
                                      (3, 'Task_OnSiteHandling', '现场处置', 'handling'),
                                      (4, 'Task_ReturnVisit', '回访', 'return_visit')) AS s(k, bpmn, name, stage);
INSERT INTO supervision_step (task_id, case_id, step, kind, targets, breached_due_at, send_at, status, sent_at)
SELECT id, case_id, 'supervision', 'supervision', 'supervisor_above', due_at, due_at + interval '4 hours', 'sent',
       due_at + interval '4 hours'
FROM task WHERE overdue_at IS NOT NULL;
INSERT INTO audit_event (case_id, event, at) SELECT id, 'case_started', created_at FROM case_record;
INSERT INTO audit_event (case_id, event, at) SELECT id, 'case_completed', completed_at FROM case_record
WHERE completed_at IS NOT NULL;
INSERT INTO incident (source, external_id, received_at, category, location_id, description, police_matter)
SELECT '110', 'B' || i, CAST(:start AS timestamptz) + ((i::bigint * :span) / (2 * :n)) * interval '1 second',
       (ARRAY['noise', 'property_damage', 'wage_dispute', 'theft', 'assault', 'fraud'])[1 + i % 6],
       (ARRAY[:l1, :l2, :l3])[1 + i % 3], '', i % 3 = 0
FROM generate_series(1, 2 * :n) AS i;
"""
TABLES = ("case_record", "task", "supervision_step", "audit_event", "incident")


def build(n: int) -> None:
    with db.engine.begin() as conn:
        ids = dict(conn.execute(text("SELECT code, id FROM agency")).all())
        paths = dict(conn.execute(text("SELECT code, path FROM agency")).all())
        versions = dict(conn.execute(text("SELECT process_id, max(id) FROM process_version GROUP BY process_id")).all())
        grids, squads, police = (("sjm-duntou-g1", "dg-haihua-g1", "zjj-zhangzhou-g1"),
                                 ("sjm-squad", "dg-squad", "zjj-squad"), ("sjm-police", "dg-police", "zjj-police"))
        params = {"n": n, "start": START, "span": SPAN_SECONDS, "v_div": versions["diversion"],
                  "v_dis": versions["dispute_funnel"], "v_sea": versions["sea_land"],
                  "a_city": ids["zs-dispatch"], "a_district": ids["pt-dispatch"],
                  **{f"l{i}": ids[code] for i, code in enumerate(grids, 1)},
                  **{f"p{i}": paths[code] for i, code in enumerate(grids, 1)},
                  **{f"s{i}": ids[code] for i, code in enumerate(squads, 1)},
                  **{f"o{i}": ids[code] for i, code in enumerate(police, 1)}}
        for statement in FILL.split(";"):
            if statement.strip():
                conn.execute(text(statement), params)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in TABLES:
            conn.execute(text(f"VACUUM ANALYZE {table}"))
        conn.execute(text("CHECKPOINT"))


def timed(scope: Scope) -> float:
    started = time.perf_counter()
    indicators(scope=scope, period=JUNE)
    db.session.rollback()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=os.environ.get("GONGZHI_TEST_POSTGRES_URL")
                        or "postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    app = create_app({"SQLALCHEMY_DATABASE_URI": postgres_bench_url(args.postgres_url, "gongzhi_bench_reports")},
                     instance_path=tempfile.mkdtemp(prefix="gongzhi-bench-"))
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        load_demo()
        started = time.perf_counter()
        build(args.cases)
        counts = {table: db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar() for table in TABLES}
        print(f"built in {time.perf_counter() - started:.0f} s: " + ", ".join(f"{t} {c:,}" for t, c in counts.items()))
        city, street = Scope(), resolve_scope(actor=None, agency_code="shenjiamen")
        result = indicators(scope=city, period=JUNE)
        print(f"June 2025 city-wide: {result['handling']['cases']['value']:,} cases, "
              f"{result['sla']['tasks_with_deadline']['value']:,} tasks with a deadline closed, "
              f"{result['incidents']['total']['value']:,} incidents")
        figures = {}
        for name, scope in (("city_month_ms", city), ("street_month_ms", street)):
            timings = [timed(scope) for _ in range(args.repeat + 1)][1:]
            figures[name] = round(statistics.median(timings), 1)
            print(f"{name}: p50 {figures[name]:.1f} ms (min {min(timings):.1f}, max {max(timings):.1f})")
    print(json.dumps({**figures, "cases": args.cases}))


if __name__ == "__main__":
    main()

"""Benchmark the inbox on PostgreSQL at 10,000, 100,000 and 1,000,000 cases of generated history.

Each size is its own database (gongzhi_bench_inbox_<size>) filled by `gongzhi demo generate`'s generator
(engine/demo/generate.py): a year of cases of the shipped processes in every state, the city growing by
a street per 5,000 cases. All databases are built first, vacuumed, analyzed and checkpointed; then the
query passes alternate between sizes, so the machine's noise falls on every size alike.

The inbox is timed as the API and the page run it: engine.queries.inbox inside an app context, the page
of 20 tasks and the COUNT behind `total`, then the session removed as at the end of a request. Roles:
a street squad (沈家门街道联动处置分队: its agency's unclaimed, its claimed, its overdue), a community
(墩头社区: the same three) and a district supervisor (普陀区督办员: overdue below the district, and the
district's own unclaimed). Target: p95 under 20 ms at 1,000,000 cases and at most 1.5x the 10,000 figure.

    .venv/bin/python bench/inbox.py [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres]
                                    [--sizes 10000,100000,1000000] [--repeat 200] [--explain] [--reuse]

The last line printed is a JSON object: p95_ms_10k, p95_ms_100k, p95_ms_1m (the worst role and view at
each size), ratio_1m_vs_10k. Beside the wall times it prints what a call costs in CPU (this process and
the database's backends, read from /proc when PostgreSQL runs on the same machine), which the machine's
load does not change.
"""

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time

from bench_db import postgres_bench_url
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from engine.db import db
from engine.demo.generate import generate_history
from engine.demo.load import load_demo
from engine.org import get_actor
from engine.queries import inbox
from web.app import MIGRATIONS_DIR, create_app

ROLES = (  # (role, username, views)
    ("street squad", "sjm-squad", ("agency", "mine", "overdue")),
    ("community", "sjm-duntou", ("agency", "mine", "overdue")),
    ("district supervisor", "pt-supervisor", ("overdue", "agency")),
)
TABLES = ("case_record", "task", "audit_event", "supervision_step", "incident", "agency", "app_user")


def label(size: int) -> str:
    return f"{size // 1_000_000}m" if size % 1_000_000 == 0 else f"{size // 1000}k"


def _app(url: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url}, instance_path=tempfile.mkdtemp(prefix="gongzhi-bench-"))


def _existing(url: str, size: int) -> str | None:
    """The URL of a database built for `size` by an earlier run (for --reuse), else None."""
    server = make_url(url).set(drivername="postgresql+psycopg")
    target = server.set(database=f"gongzhi_bench_inbox_{label(size)}")
    engine = create_engine(target)
    try:
        with engine.connect() as conn:
            count = conn.execute(text("SELECT count(*) FROM case_record")).scalar()
    except (OperationalError, ProgrammingError):  # no such database, or no tables yet: build it
        return None
    finally:
        engine.dispose()
    return target.render_as_string(hide_password=False) if count == size else None


def build(url: str, size: int, reuse: bool):
    """An app on its own database holding `size` generated cases."""
    found = _existing(url, size) if reuse else None
    if found:
        print(f"{size:>9,} cases: reusing gongzhi_bench_inbox_{label(size)}", flush=True)
        return _app(found)
    app = _app(postgres_bench_url(url, f"gongzhi_bench_inbox_{label(size)}"))
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        load_demo()
        done, started = 0, time.perf_counter()

        def progress(count: int) -> None:
            nonlocal done
            done += count
            if count > 1:
                print(f"  {done:>9,} / {size:,} cases, {time.perf_counter() - started:6.0f} s", file=sys.stderr,
                      flush=True)

        result = generate_history(cases=size, seed=1, on_progress=progress)
        rows = sum(result.rows.values())
        print(f"{size:>9,} cases generated in {result.seconds:.0f} s ({size / result.seconds:,.0f} cases/s; "
              f"{rows:,} rows in bulk, {result.rows_per_second:,.0f} rows/s; {result.streets} streets): "
              + ", ".join(f"{table} {count:,}" for table, count in result.rows.items()), flush=True)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in TABLES:
                conn.execute(text(f"VACUUM ANALYZE {table}"))
    return app


def checkpoint(app) -> None:
    with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("CHECKPOINT"))


def timed(app, username: str, view: str) -> float:
    with app.app_context():
        actor = get_actor(username)
        db.session.remove()
        started = time.perf_counter()
        inbox(actor=actor, view=view, page=1, page_size=20)
        db.session.remove()
        return (time.perf_counter() - started) * 1000


def totals(app, username: str, view: str) -> int:
    with app.app_context():
        found = inbox(actor=get_actor(username), view=view, page=1, page_size=20)
        db.session.remove()
        return found.total


def explain(app, username: str, view: str) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement the inbox runs: the page and the count."""
    statements = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and "FROM task" in statement:
            statements.append((statement, parameters))

    with app.app_context():
        actor = get_actor(username)
        db.session.remove()
        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            inbox(actor=actor, view=view, page=1, page_size=20)
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
        db.session.remove()
        plans = []
        with db.engine.connect() as conn:
            cursor = conn.connection.driver_connection.cursor()
            for statement, parameters in statements:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
        return plans


def _backend_cpu_seconds(app) -> float | None:
    """CPU seconds used so far by the PostgreSQL backends of the app's database (None: not on this machine)."""
    with app.app_context():
        with db.engine.connect() as conn:
            pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars()
            pids = list(pids)
        db.session.remove()
    total = 0.0
    try:
        for pid in pids:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (FileNotFoundError, PermissionError):
        return None
    return total


def cpu_per_call(app, username: str, view: str, calls: int) -> tuple[float, float | None]:
    """Mean CPU ms per call of this process and of PostgreSQL: what a call costs, whatever the machine's load."""
    backend, started = _backend_cpu_seconds(app), time.process_time()
    for _ in range(calls):
        timed(app, username, view)
    client = (time.process_time() - started) * 1000 / calls
    after = _backend_cpu_seconds(app)
    return client, (after - backend) * 1000 / calls if backend is not None and after is not None else None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=os.environ.get("GONGZHI_TEST_POSTGRES_URL")
                        or "postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=200, help="timed calls per size, role and view")
    parser.add_argument("--explain", action="store_true", help="print the query plans at the largest size")
    parser.add_argument("--reuse", action="store_true", help="keep databases an earlier run built for a size")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    sizes = [int(size) for size in args.sizes.split(",")]
    apps = {size: build(args.postgres_url, size, args.reuse) for size in sizes}
    for app in apps.values():
        checkpoint(app)  # the bulk load's writes are not left to land during the passes
    queries = [(role, username, view) for role, username, views in ROLES for view in views]
    timings: dict[tuple[int, str, str], list[float]] = {(n, role, view): [] for n in sizes for role, _, view in queries}
    for round_ in range(args.repeat + 1):
        for size in sizes:
            for role, username, view in queries:
                elapsed = timed(apps[size], username, view)
                if round_:  # the first round warms the caches and is not counted
                    timings[(size, role, view)].append(elapsed)
    print(f"\n{'cases':>9}  {'role':<20} {'view':<8} {'total':>6}  {'p50 ms':>7}  {'p95 ms':>7}  {'max ms':>7}"
          f"  {'cpu ms: python':>14}  {'postgres':>8}")
    worst = {}
    for size in sizes:
        for role, username, view in queries:
            values = timings[(size, role, view)]
            p95 = percentile(values, 0.95)
            worst[size] = max(worst.get(size, 0.0), p95)
            client, backend = cpu_per_call(apps[size], username, view, max(args.repeat // 2, 1))
            print(f"{size:>9,}  {role:<20} {view:<8} {totals(apps[size], username, view):>6}  "
                  f"{statistics.median(values):7.2f}  {p95:7.2f}  {max(values):7.2f}  {client:14.2f}  "
                  + (f"{backend:8.2f}" if backend is not None else f"{'-':>8}"))
    if args.explain:
        largest = sizes[-1]
        for role, username, view in queries:
            for plan in explain(apps[largest], username, view):
                print(f"\n-- {role}, {view}, {largest:,} cases\n{plan}")
    figures = {f"p95_ms_{label(size)}": round(worst[size], 2) for size in sizes}
    ratio = round(worst[sizes[-1]] / worst[sizes[0]], 3)
    print(json.dumps({**figures, f"ratio_{label(sizes[-1])}_vs_{label(sizes[0])}": ratio, "sizes": sizes,
                      "calls": args.repeat}))


if __name__ == "__main__":
    main()

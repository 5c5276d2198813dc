"""Measure a background worker's resident memory over 100,000 processed cases.

A processed case is one `fire_timers(case_id)` job for a distinct case whose timer is due, run by the real
`gongzhi worker` (dramatiq, a real Redis or RabbitMQ broker, `--processes 1 --threads 4` unless told
otherwise): load the case, deserialize its workflow, fire the timer, run the engine, save the state, sync
the task rows, write the audit events and the outbox row; and the `deliver_message(message_id)` job that the
worker itself sends after that commit, which POSTs the signed webhook to a local receiver. Every case is a
dispute-funnel case waiting at community mediation whose three-day timeout has passed: firing cancels the
community task and opens street mediation at the street office, which has a webhook channel.

The cases are clones of one real case: it is started four days ago (time-machine) and run to the timer,
then its case row (state JSON with the spec by reference, next_timer_at in the past) and task row are
copied with `INSERT ... SELECT generate_series`. The template and two clones are fired and delivered in
this process first, and must end alike (same tasks, agencies, audit events and webhook call).

The jobs are fed as the scheduler would, at most 500 waiting at a time. At every sample point (each
5,000 cases by default) feeding stops until the worker has fired that many cases (counted by SQL) and
delivered every message, then the resident set size (psutil RSS) of the worker process that runs the
actors (dramatiq's child, not its parent) is read. Growth is compared from the warm-up point (a tenth of
the run: 10,000 cases, when the caches are full) to the end. Target: growth under 10%.

    .venv/bin/python bench/worker_memory.py [--cases 100000] [--sample-every 5000]
        [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres] [--broker-url redis://127.0.0.1:6379/10]
        [--processes 1] [--threads 4]
    .venv/bin/python bench/worker_memory.py --quick          # 10,000 cases, a sample each 500

The last line printed is a JSON object: cases, rss_mb_at_10k, rss_mb_at_100k, rss_growth_mb,
rss_growth_pct_10k_to_100k, cases_per_s (for another --cases, the keys name its own warm-up and end).
"""

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import time_machine
from bench_db import postgres_bench_url
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.common import dq_name, xq_name
from flask_migrate import upgrade
from sqlalchemy import text

from engine import fire_case_timers, start_case
from engine.case_store import CASE, TASK
from engine.channels import add_channel
from engine.db import db
from engine.demo.load import load_demo
from integrations import setup_background
from integrations.delivery import deliver
from web.app import MIGRATIONS_DIR, create_app

DATABASE = "gongzhi_bench_memory"
DISPUTE = {"source": "police", "location": "sjm-duntou-g1", "parties": ["甲", "乙"], "summary": "车辆剐蹭赔偿纠纷"}
STREET_OFFICE = "sjm-office"  # where the escalated case goes: its webhook makes every case one delivery
VERIFIED_CLONES = 2
BACKLOG = 500  # jobs waiting at most, as a scheduler tick sends at most 500 due cases
TARGET_GROWTH_PCT = 10.0
GONGZHI = Path(sys.executable).with_name("gongzhi")


class Receiver(BaseHTTPRequestHandler):
    """A partner system that accepts every webhook and counts the calls."""

    calls = 0
    lock = threading.Lock()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with Receiver.lock:
            Receiver.calls += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def clone_sql(template_id: int) -> list[tuple[str, dict]]:
    """Statements copying the template case `n` times (`:n`), and its task rows onto every copy."""
    case_columns = ", ".join(c.name for c in CASE.c if c.name != "id")
    task_columns = [c.name for c in TASK.c if c.name not in ("id", "case_id")]
    return [
        (f"INSERT INTO case_record ({case_columns}) SELECT {case_columns} FROM case_record, generate_series(1, :n) "
         f"WHERE id = :template ORDER BY generate_series", {"template": template_id}),
        (f"INSERT INTO task (case_id, {', '.join(task_columns)}) SELECT c.id, "
         f"{', '.join('t.' + name for name in task_columns)} FROM case_record c JOIN task t ON t.case_id = :template "
         f"WHERE c.id > :template ORDER BY c.id", {"template": template_id}),
    ]


def build(url: str, n: int, webhook: str):
    """A fresh database with the demo, a webhook for the street office, a due template case and its clones."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url}, instance_path=tempfile.mkdtemp(prefix="gongzhi-bench-"))
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        load_demo()
        add_channel(kind="webhook", address=webhook, secret="bench-webhook-secret", agency_code=STREET_OFFICE)
        with time_machine.travel(datetime.now(UTC) - timedelta(days=4), tick=False):
            template = start_case(process_id="dispute_funnel", data=DISPUTE).id
        started = time.perf_counter()
        with db.engine.begin() as conn:
            for statement, params in clone_sql(template):
                conn.execute(text(statement), {**params, "n": n + VERIFIED_CLONES})
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE case_record"))
            conn.execute(text("VACUUM ANALYZE task"))
            conn.execute(text("CHECKPOINT"))
        print(f"{n + VERIFIED_CLONES:,} clones of case {template} built in {time.perf_counter() - started:.1f} s")
    return app, template


def outcome(case_id: int) -> tuple:
    """What firing left of a case, without its ids and times."""
    with db.engine.connect() as conn:
        case = conn.execute(text("SELECT status, version, next_timer_at FROM case_record WHERE id = :id"),
                            {"id": case_id}).one()
        tasks = conn.execute(text("SELECT t.bpmn_id, t.status, a.code FROM task t LEFT JOIN agency a ON "
                                  "a.id = t.candidate_agency_id WHERE t.case_id = :id ORDER BY t.id"),
                             {"id": case_id}).all()
        # The template was started here, its clones were copied: compare what happened from the timer on.
        events = conn.execute(text("SELECT event FROM audit_event WHERE case_id = :id AND id >= (SELECT min(id) "
                                   "FROM audit_event WHERE event = 'timer_fired' AND case_id = :id) ORDER BY id"),
                              {"id": case_id}).scalars().all()
        messages = conn.execute(text("SELECT o.status FROM outbox o JOIN notice n ON n.id = "
                                     "(o.payload->>'notice_id')::int WHERE n.case_id = :id"), {"id": case_id}).all()
    return tuple(case), [tuple(t) for t in tasks], events, [tuple(m) for m in messages]


def verify(app, template: int) -> None:
    """Fire and deliver the template and two clones here; they must end alike, each with one webhook call."""
    with app.app_context():
        ids = [template, *range(template + 1, template + 1 + VERIFIED_CLONES)]
        for case_id in ids:
            if not fire_case_timers(case_id=case_id, now=datetime.now(UTC)):
                raise SystemExit(f"case {case_id}: its timer was not due")
        with db.engine.connect() as conn:
            pending = conn.execute(text("SELECT id FROM outbox WHERE status = 'pending'")).scalars().all()
        results = [deliver(message_id) for message_id in pending]
        outcomes = [outcome(case_id) for case_id in ids]
    if any(o != outcomes[0] for o in outcomes) or results != ["sent"] * len(ids) or Receiver.calls != len(ids):
        raise SystemExit(f"clones do not behave like the real case: {outcomes}, deliveries {results}, "
                         f"{Receiver.calls} webhook calls")
    (status, version, timer), tasks, events, _ = outcomes[0]
    print(f"verified on case {template} and {VERIFIED_CLONES} clones: {status}, version {version}, timer {timer}, "
          f"tasks {tasks}, events {events}, webhook delivered")


def start_worker(url: str, broker_url: str, queue: str, processes: int, threads: int, log_path: Path):
    env = {**os.environ, "GONGZHI_DATABASE_URL": url, "GONGZHI_BROKER_URL": broker_url,
           "GONGZHI_QUEUE_NAME": queue, "GONGZHI_SECRET_KEY": "bench-worker-memory"}
    log = log_path.open("w")
    return subprocess.Popen([str(GONGZHI), "worker", "--processes", str(processes), "--threads", str(threads)],
                            env=env, cwd=log_path.parent, stdout=log, stderr=subprocess.STDOUT)


def actor_processes(worker: subprocess.Popen) -> list[psutil.Process]:
    """dramatiq's worker processes (they run the actors), without multiprocessing's helper processes."""
    found = []
    for child in psutil.Process(worker.pid).children(recursive=True):
        try:
            if "resource_tracker" not in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def rss_mb(processes: list[psutil.Process]) -> float:
    return sum(p.memory_info().rss for p in processes) / 2**20


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """CPU time the worker processes used: a figure that other load on the machine does not stretch."""
    return sum(p.cpu_times().user + p.cpu_times().system for p in processes)


class Counter:
    def __init__(self, first: int, last: int):
        self.params = {"first": first, "last": last}

    def fired(self) -> int:
        with db.engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM case_record WHERE id BETWEEN :first AND :last AND "
                                     "next_timer_at IS NULL"), self.params).scalar()

    def undelivered(self) -> int:
        """Messages not yet delivered; a failed one stops the run (no scheduler here would retry it)."""
        with db.engine.connect() as conn:
            waiting, failed = conn.execute(text(
                "SELECT count(*) FILTER (WHERE last_error IS NULL), count(*) FILTER (WHERE last_error IS NOT NULL) "
                "FROM outbox WHERE status <> 'sent'")).one()
            if failed:
                error = conn.execute(text("SELECT last_error FROM outbox WHERE last_error IS NOT NULL")).first()
                raise SystemExit(f"{failed} webhook deliveries failed: {error[0]}")
        return waiting


def run(app, worker, actors, ids: list[int], points: list[int]) -> tuple[list[tuple], float]:
    """Feed the jobs; at each point wait until the worker is idle and read its memory."""
    counter, sent, samples = Counter(ids[0], ids[-1]), 0, []
    with app.app_context():
        started = time.perf_counter()
        for point in points:
            while True:
                if worker.poll() is not None:
                    raise SystemExit(f"the worker exited with {worker.returncode}")
                fired = counter.fired()
                if fired >= point and counter.undelivered() == 0:
                    break
                while sent < point and sent - fired < BACKLOG:
                    actors.fire_timers.send(ids[sent])
                    sent += 1
                time.sleep(0.5)
            elapsed = time.perf_counter() - started
            processes = actor_processes(worker)
            samples.append((point, rss_mb(processes), rss_mb([psutil.Process(worker.pid)]), elapsed,
                            cpu_seconds(processes)))
            print(f"{point:>9,} cases  worker RSS {samples[-1][1]:7.1f} MB  (parent {samples[-1][2]:.1f} MB, "
                  f"{elapsed:7.1f} s, worker CPU {samples[-1][4]:.1f} s, "
                  f"{Receiver.calls - 1 - VERIFIED_CLONES:,} webhooks)", flush=True)
    return samples, elapsed


def wait_until_ready(worker, processes: int, log_path: Path, timeout: float = 180.0) -> None:
    """Wait for the worker processes to say they are ready (they import the app and reach the broker)."""
    deadline = time.monotonic() + timeout
    while len(actor_processes(worker)) < processes or log_path.read_text(errors="replace").count(
            "ready for action") < processes:
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the worker did not start; see {log_path}")
        time.sleep(0.5)


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def remove_queue(broker, queue: str) -> None:
    """Drop the run's messages; on RabbitMQ delete its queues too (on Redis, emptied ones leave no key)."""
    broker.flush_all()
    if isinstance(broker, RabbitmqBroker):
        for name in (queue, dq_name(queue), xq_name(queue)):
            broker.channel.queue_delete(name)
    broker.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=os.environ.get("GONGZHI_TEST_POSTGRES_URL")
                        or "postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--broker-url", default=os.environ.get("GONGZHI_BENCH_BROKER_URL")
                        or "redis://127.0.0.1:6379/10")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--sample-every", type=int)
    parser.add_argument("--quick", action="store_true", help="10,000 cases")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    cases = 10_000 if args.quick else args.cases
    every = args.sample_every or max(cases // 20, 1)
    points = sorted({*range(every, cases + 1, every), cases // 10, cases} - {0})
    logging.disable(logging.INFO)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = postgres_bench_url(args.postgres_url, DATABASE)
    app, template = build(url, cases, f"http://127.0.0.1:{server.server_port}/hooks/gongzhi")
    verify(app, template)
    ids = list(range(template + 1 + VERIFIED_CLONES, template + 1 + VERIFIED_CLONES + cases))

    queue = f"gongzhi_memory_{uuid.uuid4().hex[:8]}"
    broker, actors = setup_background(app, broker_url=args.broker_url, queue_name=queue)
    log_path = Path(tempfile.mkdtemp(prefix="gongzhi-bench-worker-")) / "worker.log"
    worker = start_worker(url, args.broker_url, queue, args.processes, args.threads, log_path)
    try:
        wait_until_ready(worker, args.processes, log_path)
        at_start, cpu_at_start = rss_mb(actor_processes(worker)), cpu_seconds(actor_processes(worker))
        print(f"worker started (--processes {args.processes} --threads {args.threads}, queue {queue} on "
              f"{args.broker_url.split('@')[-1]}): RSS {at_start:.1f} MB before any job; log {log_path}")
        samples, elapsed = run(app, worker, actors, ids, points)
    finally:
        stop(worker)
        remove_queue(broker, queue)
        server.shutdown()
    warnings = [line for line in log_path.read_text(errors="replace").splitlines() if "WARNING" in line
                or "ERROR" in line]
    with app.app_context(), db.engine.connect() as conn:
        failed = conn.execute(text("SELECT count(*) FROM audit_event WHERE event = 'timer_failed'")).scalar()
    deliveries = Receiver.calls - 1 - VERIFIED_CLONES
    cpu_ms = 1000 * (samples[-1][4] - cpu_at_start) / cases
    print(f"{cases:,} cases in {elapsed:.1f} s: {cases / elapsed:.1f} cases/s, worker CPU {cpu_ms:.1f} ms a case "
          f"(firing and delivery); {deliveries:,} webhooks received; "
          f"{failed} timer failures; {len(warnings)} warnings or errors in the worker log")
    for line in warnings[:5]:
        print("   ", line)

    warm = next(s for s in samples if s[0] == cases // 10)
    end = samples[-1]
    growth = end[1] - warm[1]
    pct = 100 * growth / warm[1]
    print(f"\n| cases processed | worker RSS (MB) | parent RSS (MB) | elapsed (s) | worker CPU (s) |\n"
          f"|---|---|---|---|---|\n| 0 | {at_start:.1f} | | | {cpu_at_start:.1f} |")
    for point, rss, parent, seconds, cpu in samples:
        print(f"| {point:,} | {rss:.1f} | {parent:.1f} | {seconds:.0f} | {cpu:.1f} |")
    verdict = "met" if pct < TARGET_GROWTH_PCT else "NOT met"
    print(f"\ngrowth from {warm[0]:,} to {end[0]:,} cases: {growth:+.1f} MB ({pct:+.2f}%); target under "
          f"{TARGET_GROWTH_PCT:.0f}%: {verdict}")
    label = lambda count: f"{count // 1000}k" if count % 1000 == 0 else str(count)  # noqa: E731
    print(json.dumps({
        "cases": cases, "rss_mb_at_start": round(at_start, 1), f"rss_mb_at_{label(warm[0])}": round(warm[1], 1),
        f"rss_mb_at_{label(end[0])}": round(end[1], 1), "rss_growth_mb": round(growth, 1),
        f"rss_growth_pct_{label(warm[0])}_to_{label(end[0])}": round(pct, 2),
        "cases_per_s": round(cases / elapsed, 1), "worker_cpu_ms_per_case": round(cpu_ms, 2),
        "webhooks": deliveries, "timer_failures": failed, "processes": args.processes, "threads": args.threads}))
    if deliveries != cases or failed:
        raise SystemExit("not every case was fired and delivered once")


if __name__ == "__main__":
    main()

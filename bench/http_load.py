"""Load-test the platform over HTTP: gunicorn with one web worker, then two, on PostgreSQL and a real broker.

    .venv/bin/python bench/http_load.py [--quick] [--users 16] [--duration 60] [--workers 1,2]
        [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres]
        [--broker-url amqp://guest:guest@127.0.0.1:5672/ | redis://127.0.0.1:6379/13]

It builds one PostgreSQL database with the demo agencies, one staff user per virtual user and open work
for their agencies (bench/http_workload.py). Every agency has a webhook channel to a receiver in this
process, so each task that a command opens sends a signed webhook through the outbox, the broker and
`gongzhi worker`.

For each web worker count it copies that database (`gongzhi_bench_http`, CREATE DATABASE ... TEMPLATE, so
every run starts from the same work), starts `gongzhi worker` and `gunicorn web.wsgi:app -w N`, and runs
bench/locustfile.py headless with a fixed number of users: the figures are taken over a fixed window after
every user has logged in and a warm-up. It then waits for the outbox to drain, and reports requests/s,
p50 and p99 per endpoint, failures, the CPU each part used, and the throughput ratio of the runs.
The last line printed is a JSON object with the figures.
"""

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
from http_workload import AGENCIES, TEMPLATE_DATABASE, build_template, copy_template, staff_plan
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ENDPOINTS = {  # locust request name -> what it is
    "inbox_page": "GET  /inbox?view=agency        page",
    "mine_page": "GET  /inbox?view=mine          page",
    "case_page": "GET  /cases/{id}               page",
    "task_page": "GET  /tasks/{id}               page",
    "api_inbox": "GET  /api/v1/tasks?view=agency",
    "api_claim": "POST /api/v1/tasks/{id}/claim",
    "api_form": "GET  /api/v1/tasks/{id}/form",
    "api_complete": "POST /api/v1/tasks/{id}/complete",
}


# --- The processes under test ---------------------------------------------------------------------------

class WebhookReceiver(ThreadingHTTPServer):
    """Answers every webhook 204 and counts them."""

    daemon_threads = True

    def __init__(self):
        self.received = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    # Each in its own session, so stopping it stops its children. Linux then shares a full CPU between
    # sessions (autogroup): all of gunicorn's workers together get one session's share.
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    for signal_number, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, signal_number)
            process.wait(wait)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url}/health did not answer 200 within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each process still alive."""
    used = {}
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
            used[pid] = times.user + times.system
        except psutil.Error:
            pass
    return used


def busy_seconds(times) -> float:
    """The machine's CPU seconds spent on anything but idling, over every core."""
    return times.user + times.system + times.nice + getattr(times, "irq", 0) + getattr(times, "softirq", 0)


def tree(process: subprocess.Popen) -> list[int]:
    try:
        return [process.pid, *(child.pid for child in psutil.Process(process.pid).children(recursive=True))]
    except psutil.Error:
        return [process.pid]


def backends(database_url: str) -> list[int]:
    """The PostgreSQL server processes serving the run's database."""
    probe = create_engine(database_url)
    with probe.connect() as connection:
        pids = connection.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                       "AND pid <> pg_backend_pid()")).scalars().all()
    probe.dispose()
    return list(pids)


def outbox_counts(database_url: str, timeout: float) -> dict[str, int]:
    """Wait until no outbox message is pending (or the timeout passes); return the messages by status."""
    probe = create_engine(database_url)
    deadline = time.monotonic() + timeout
    while True:
        with probe.connect() as connection:
            counts = dict(connection.execute(text("SELECT status, count(*) FROM outbox GROUP BY status")).all())
        if not counts.get("pending") or time.monotonic() > deadline:
            probe.dispose()
            return counts
        time.sleep(0.5)


def run_once(workers: int, args, staff_file: Path, receiver: WebhookReceiver, logs: Path, label: str) -> dict:
    """Copy the template, start the worker and gunicorn -w `workers`, run locust, collect the figures."""
    database_url = copy_template(args.postgres_url)
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    env = {**os.environ, "GONGZHI_DATABASE_URL": database_url, "GONGZHI_BROKER_URL": args.broker_url,
           "GONGZHI_QUEUE_NAME": args.queue_name, "GONGZHI_SECRET_KEY": args.secret_key,
           "GONGZHI_LOGIN_RATE_LIMIT": "100000 per minute", "GONGZHI_TIMER_TICK_SECONDS": "3600"}
    result_file = logs / f"locust-{label}.json"
    for stale in (result_file, Path(f"{result_file}.window")):
        stale.unlink(missing_ok=True)
    processes = {}
    received_before = receiver.received
    try:
        processes["worker"] = start([str(BIN / "gongzhi"), "worker", "--processes", "1", "--threads", "4"], env,
                                    logs / f"worker-{label}.log")
        processes["web"] = start([str(BIN / "gunicorn"), "web.wsgi:app", "-w", str(workers), "-b",
                                  f"127.0.0.1:{port}", "--graceful-timeout", "10"], env,
                                 logs / f"gunicorn-{label}.log")
        wait_healthy(host, processes["web"], logs / f"gunicorn-{label}.log")
        locust_env = {**env, "GONGZHI_BENCH_STAFF": str(staff_file), "GONGZHI_BENCH_RESULT": str(result_file),
                      "GONGZHI_BENCH_WARMUP": str(args.warmup), "GONGZHI_BENCH_MEASURE": str(args.duration),
                      "GONGZHI_BENCH_THINK": str(args.think)}
        bound = int(120 + args.warmup + args.duration)  # locust stops itself after the window; this is a safety net
        command = [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--only-summary",
                   "-u", str(args.users), "-r", str(args.users), "-t", f"{bound}s", "--host", host,
                   "--stop-timeout", "5", "--loglevel", "WARNING"]
        with (logs / f"locust-{label}.log").open("wb") as out:
            locust = subprocess.Popen(command, cwd=ROOT, env=locust_env, stdout=out, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        try:
            window = Path(f"{result_file}.window")
            while not window.exists() and locust.poll() is None:  # the logins and the warm-up
                time.sleep(0.05)
            ours = {name: tree(process) for name, process in processes.items()}
            ours["postgres"] = backends(database_url)
            before, machine_before, opened = ({name: cpu_seconds(pids) for name, pids in ours.items()},
                                              psutil.cpu_times(), time.monotonic())
            locust.wait(timeout=bound + 60)
            wall, machine_after = time.monotonic() - opened, psutil.cpu_times()
        finally:
            stop(locust)
        ours["postgres"] = sorted(set(ours["postgres"]) | set(backends(database_url)))
        after = {name: cpu_seconds(pids) for name, pids in ours.items()}
        if not result_file.exists():
            raise SystemExit(f"locust wrote no figures:\n{(logs / f'locust-{label}.log').read_text()[-3000:]}")
        figures = json.loads(result_file.read_text())
        figures["outbox"] = outbox_counts(database_url, timeout=60)
        figures["webhooks_received"] = receiver.received - received_before
        used = {name: sum(after[name].get(pid, 0) - before[name].get(pid, 0) for pid in after[name]) for name in ours}
        figures["cpu_cores"] = {name: seconds / wall for name, seconds in used.items()}
        figures["cpu_cores"]["machine"] = (busy_seconds(machine_after) - busy_seconds(machine_before)) / wall
        figures["cpu_seconds"] = used
        return figures
    finally:
        for process in processes.values():
            stop(process)


# --- Reporting ------------------------------------------------------------------------------------------

def summarize(workers: int, figures: dict) -> dict:
    errors = figures["failures"] + len(figures["exceptions"])
    cores = {name: round(value, 2) for name, value in figures["cpu_cores"].items()} | {
        "locust": round(figures["locust_cpu_seconds"] / figures["seconds"], 2)}
    cores["others"] = round(cores["machine"] - sum(cores[name] for name in ("web", "worker", "postgres", "locust")), 2)
    # Sync workers each use up to one core: a web tier far below that while the machine is full was held
    # back by the CPU the machine had left, not by the platform.
    starved = cores["machine"] >= 0.95 * psutil.cpu_count() and cores["web"] < 0.8 * workers
    # CPU ms each request cost gunicorn, the worker, PostgreSQL and locust, whatever share they got; from it, the
    # requests/s this machine would give with nothing else running. A sync worker serves one request at a
    # time, its own CPU then PostgreSQL's; all the parts share the machine's cores. An estimate (it leaves
    # out network and disk waits), not a measurement.
    used = figures["cpu_seconds"] | {"locust": figures["locust_cpu_seconds"]}
    per_request = {name: round(1000 * used[name] / max(figures["requests"], 1), 2)
                   for name in ("web", "worker", "postgres", "locust")}
    alone = min(1000 * workers / max(per_request["web"] + per_request["postgres"], 0.01),
                1000 * psutil.cpu_count() / max(sum(per_request.values()), 0.01))
    return {"total_rps": round(figures["rps"], 1), "p50_ms": figures["p50_ms"], "p99_ms": figures["p99_ms"],
            "requests": figures["requests"], "seconds": round(figures["seconds"], 1), "errors": errors,
            "tasks_completed": figures["tasks_completed"], "no_own_task": figures["no_own_task"],
            "endpoints": {name: {"rps": round(item["rps"], 2), "p50_ms": item["p50_ms"], "p99_ms": item["p99_ms"],
                                 "failures": item["failures"]}
                          for name, item in sorted(figures["endpoints"].items())},
            "outbox": figures["outbox"], "webhooks_received": figures["webhooks_received"],
            "cpu_cores": cores, "cpu_starved": starved, "cpu_ms_per_request": per_request,
            "estimated_rps_alone": round(alone)}


def print_table(workers: int, summary: dict, figures: dict) -> None:
    print(f"\n== gunicorn -w {workers}: {summary['total_rps']} requests/s over {summary['seconds']} s, "
          f"p50 {summary['p50_ms']} ms, p99 {summary['p99_ms']} ms, errors {summary['errors']}, "
          f"tasks completed {summary['tasks_completed']}")
    print(f"{'endpoint':<14} {'route':<44} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'fail':>5}")
    for name, item in summary["endpoints"].items():
        print(f"{name:<14} {ENDPOINTS.get(name, name):<44} {item['rps']:>7.2f} {item['p50_ms']:>7} "
              f"{item['p99_ms']:>7} {item['failures']:>5}")
    cpu = summary["cpu_cores"]
    cost = summary["cpu_ms_per_request"]
    print(f"CPU in the window (cores busy): gunicorn {cpu['web']}, worker {cpu['worker']}, postgres (this "
          f"database) {cpu['postgres']}, locust {cpu['locust']}, everything else {cpu['others']}; whole machine "
          f"{cpu['machine']} of {psutil.cpu_count()}")
    print(f"CPU ms per request: gunicorn {cost['web']}, worker {cost['worker']}, postgres {cost['postgres']}, "
          f"locust {cost['locust']}; estimated requests/s with the machine to itself: {summary['estimated_rps_alone']}")
    if summary["cpu_starved"]:
        print(f"NOTE: the machine was full and the {workers} web worker(s) got {cpu['web']} cores: the CPU left "
              "by other work, not the platform, set this throughput")
    print(f"outbox {summary['outbox']}, webhooks received {summary['webhooks_received']}")
    if set(summary["outbox"]) - {"sent"} or summary["outbox"].get("sent", 0) != summary["webhooks_received"]:
        print("WARNING: the outbox did not drain into the webhook receiver: see the worker's log")
    for error in figures["errors"][:10]:
        print(f"  FAILURE {error['method']} {error['name']} x{error['occurrences']}: {error['error'][:300]}")
    for message in figures["exceptions"][:10]:
        print(f"  EXCEPTION {message[:300]}")


def cleanup_broker(broker_url: str, queue_name: str) -> None:
    """Delete the run's queues (dramatiq declares `name`, `name.DQ` and `name.XQ`)."""
    try:
        if broker_url.startswith("amqp"):
            import pika
            connection = pika.BlockingConnection(pika.URLParameters(broker_url))
            channel = connection.channel()
            for name in (queue_name, f"{queue_name}.DQ", f"{queue_name}.XQ"):
                channel.queue_delete(queue=name)
            connection.close()
        else:
            import redis
            client = redis.Redis.from_url(broker_url)
            for key in client.scan_iter(match=f"dramatiq:{queue_name}*"):
                client.delete(key)
    except Exception as error:  # leftovers are harmless: say so and go on
        print(f"could not delete the queues {queue_name}*: {error}", file=sys.stderr)


def main() -> None:
    # Stopped by SIGTERM, still run the `finally` blocks that stop the servers and delete the queues.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="8 users, 15 s windows, 40 cases per agency, 1 round")
    parser.add_argument("--users", type=int, help="virtual users (default 16; 8 with --quick)")
    parser.add_argument("--duration", type=float, help="seconds measured per run (default 60; 15 with --quick)")
    parser.add_argument("--warmup", type=float, default=10, help="seconds after the logins before measuring")
    parser.add_argument("--think", type=float, default=0.1, help="mean seconds between a user's actions")
    parser.add_argument("--cases", type=int, help="open cases per agency (default 200; 40 with --quick)")
    parser.add_argument("--workers", default="1,2", help="web worker counts to run, in order (default 1,2)")
    parser.add_argument("--rounds", type=int, help="run every worker count this many times, alternating, and "
                        "report the best run of each (default 2; 1 with --quick)")
    parser.add_argument("--postgres-url", default=os.environ.get("GONGZHI_TEST_POSTGRES_URL")
                        or "postgresql://postgres@127.0.0.1:5432/postgres", help="the PostgreSQL server")
    parser.add_argument("--broker-url", default="amqp://guest:guest@127.0.0.1:5672/",
                        help="amqp://... (default) or redis://127.0.0.1:6379/13")
    args = parser.parse_args()
    args.users = args.users or (8 if args.quick else 16)
    args.duration = args.duration or (15 if args.quick else 60)
    args.cases = args.cases or (40 if args.quick else 200)
    args.rounds = args.rounds or (1 if args.quick else 2)
    args.queue_name = f"gongzhi-bench-http-{uuid.uuid4().hex[:12]}"
    args.secret_key = secrets.token_hex(32)  # one key for every web worker, or sessions would not carry over
    worker_counts = list(dict.fromkeys(int(item) for item in args.workers.split(",")))

    staff = staff_plan(args.users)
    receiver = WebhookReceiver()
    started = time.monotonic()
    build_template(args.postgres_url, staff, args.cases, f"http://127.0.0.1:{receiver.server_port}/notices")
    print(f"built {TEMPLATE_DATABASE}: {args.cases * len(AGENCIES)} open cases, {len(staff)} staff users "
          f"in {time.monotonic() - started:.0f} s", file=sys.stderr)
    runs: dict[int, list[dict]] = {workers: [] for workers in worker_counts}
    logs = Path(tempfile.mkdtemp(prefix="gongzhi-bench-http-"))  # kept: the servers' and locust's logs
    print(f"logs in {logs}", file=sys.stderr)
    staff_file = logs / "staff.json"
    staff_file.write_text(json.dumps(staff))
    try:
        for round_number in range(1, args.rounds + 1):  # alternating, so the machine's noise falls on each
            for workers in worker_counts:
                figures = run_once(workers, args, staff_file, receiver, logs, f"r{round_number}-w{workers}")
                runs[workers].append(summarize(workers, figures))
                print_table(workers, runs[workers][-1], figures)
    finally:
        cleanup_broker(args.broker_url, args.queue_name)
        receiver.shutdown()
    # Each worker count is reported by its best run (noise from other work only takes throughput away), with
    # every run's requests/s beside it.
    results = {workers: max(items, key=lambda item: item["total_rps"])
               | {"rps_of_each_run": [item["total_rps"] for item in items]} for workers, items in runs.items()}
    report = {f"workers_{workers}": summary for workers, summary in results.items()}
    if 1 in results and 2 in results:
        report["scaling_2_vs_1"] = round(results[2]["total_rps"] / results[1]["total_rps"], 2)
        report["estimated_scaling_2_vs_1_alone"] = round(
            results[2]["estimated_rps_alone"] / results[1]["estimated_rps_alone"], 2)
        print(f"\nthroughput with 2 web workers / with 1 (best runs): {report['scaling_2_vs_1']}; requests/s of "
              f"each run: 1 worker {results[1]['rps_of_each_run']}, 2 workers {results[2]['rps_of_each_run']}")
        print(f"estimated from the CPU per request, with the machine to itself: {results[1]['estimated_rps_alone']} "
              f"and {results[2]['estimated_rps_alone']} requests/s, ratio {report['estimated_scaling_2_vs_1_alone']}")
    report |= {"rounds": args.rounds, "users": args.users, "duration_s": args.duration, "think_s": args.think,
               "cases_per_agency": args.cases, "broker": args.broker_url.split(":", 1)[0],
               "cpus": psutil.cpu_count(), "date": time.strftime("%Y-%m-%d")}
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()

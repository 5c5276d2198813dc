"""A deployment on this machine: gunicorn web processes, `gongzhi worker`s and a `gongzhi scheduler`, all on
one database and one broker, as they would run on separate machines."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pika
import psutil

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Cluster:
    """Processes started with one environment; each one's stderr goes to its own log file."""

    env: dict[str, str]
    workdir: Path
    queue: str
    web_urls: list[str] = field(default_factory=list)
    started: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def start(self, name: str, *argv: str, **env: str) -> subprocess.Popen:
        log = (self.workdir / f"{name}.log").open("w")
        # Its own session (process group), so stop() also ends the children a worker or gunicorn forks.
        process = subprocess.Popen(argv, env={**self.env, **env}, cwd=self.workdir, start_new_session=True,
                                   stdout=log, stderr=subprocess.STDOUT)
        self.started.append((name, process))
        return process

    def web(self, *, threads: int) -> str:
        """Start one gunicorn (the production settings, one worker process) on a free port; return its URL."""
        port = free_port()
        # The clients talk to gunicorn directly, with no load balancer between: keep-alive outlasts their
        # pauses, so a server never closes a connection just as a client reuses it.
        self.start(f"web-{port}", str(BIN / "gunicorn"), "--config", "python:web.gunicorn_conf",
                   "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", str(threads), "--keep-alive", "75",
                   PROMETHEUS_MULTIPROC_DIR=str(self.workdir / f"metrics-{port}"))
        url = f"http://127.0.0.1:{port}"
        self.web_urls.append(url)
        return url

    def worker(self, *, threads: int) -> None:
        self.start(f"worker-{len(self.started)}", str(BIN / "gongzhi"), "worker", "--processes", "1",
                   "--threads", str(threads))

    def scheduler(self, *, interval: float) -> None:
        self.start(f"scheduler-{len(self.started)}", str(BIN / "gongzhi"), "scheduler", "--interval", str(interval))

    def wait_until_ready(self, timeout: float = 60) -> None:
        """Wait for every web process to answer /ready (or /health where there is no /ready)."""
        deadline = time.monotonic() + timeout
        for url in self.web_urls:
            while not _ready(url):
                self.check_alive()
                assert time.monotonic() < deadline, f"{url} did not come up:\n{self.logs()}"
                time.sleep(0.2)

    def check_alive(self) -> None:
        dead = [(name, process.returncode) for name, process in self.started if process.poll() is not None]
        assert not dead, f"processes exited: {dead}\n{self.logs()}"

    def logs(self, tail: int = 40) -> str:
        parts = []
        for name, _ in self.started:
            lines = (self.workdir / f"{name}.log").read_text(errors="replace").splitlines()
            parts.append(f"--- {name} (last {tail} lines)\n" + "\n".join(lines[-tail:]))
        return "\n".join(parts)

    def log_lines(self, *words: str) -> list[str]:
        """The lines of every process's log that contain one of `words`."""
        return [f"{name}: {line}" for name, _ in self.started
                for line in (self.workdir / f"{name}.log").read_text(errors="replace").splitlines()
                if any(word in line for word in words)]

    def cpu_seconds(self) -> Counter:
        """CPU time (user + system) each kind of process (web, worker, scheduler) has used so far, and the
        PostgreSQL backends serving this deployment's database (those connected now)."""
        used = Counter()
        database = self.env["GONGZHI_DATABASE_URL"].rsplit("/", 1)[-1].split("?")[0]
        for backend in psutil.process_iter(["cmdline"]):
            if f" {database} " in " ".join(backend.info["cmdline"] or ()) + " ":
                with contextlib.suppress(psutil.NoSuchProcess):
                    times = backend.cpu_times()
                    used["database"] += times.user + times.system
        for name, process in self.started:
            try:
                root = psutil.Process(process.pid)
                for member in (root, *root.children(recursive=True)):
                    times = member.cpu_times()
                    used[name.split("-")[0]] += times.user + times.system
            except psutil.NoSuchProcess:
                continue
        return used

    def stop(self) -> None:
        for _, process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _ready(url: str) -> bool:
    try:
        ready = httpx.get(f"{url}/ready", timeout=2)
        if ready.status_code != 404:
            return ready.status_code == 200
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def delete_queues(broker_url: str, queue: str) -> None:
    """Remove the queues dramatiq declared for `queue` (and its delay and dead-letter queues)."""
    connection = pika.BlockingConnection(pika.URLParameters(broker_url))
    try:
        channel = connection.channel()
        for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
            channel.queue_delete(name)
    finally:
        connection.close()


def cluster_env(*, database_url: str, broker_url: str, **settings: str) -> tuple[dict[str, str], str]:
    """The environment every process of the deployment shares, on a queue of its own; return it and the queue."""
    queue = f"test-scale-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "GONGZHI_DATABASE_URL": database_url, "GONGZHI_BROKER_URL": broker_url,
           "GONGZHI_QUEUE_NAME": queue, **settings}
    return env, queue

"""Metrics of the background jobs: runs and failures by actor, outbox deliveries, and the worker's exposition."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dramatiq
import pytest
import time_machine
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from engine import outbox
from engine.transaction import transaction
from integrations import setup_background
from tests.integrations.conftest import running_worker

REDIS_URL = os.environ.get("GONGZHI_TEST_REDIS_URL")
GONGZHI = str(Path(sys.executable).parent / "gongzhi")
START = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)


def jobs(actor: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("gongzhi_jobs_total", {"actor": actor, "outcome": outcome}) or 0.0


def deliveries(outcome: str) -> float:
    return REGISTRY.get_sample_value("gongzhi_outbox_deliveries_total", {"outcome": outcome}) or 0.0


@pytest.fixture
def background(app):
    """The actors on the stub broker, and a real dramatiq worker running them in threads of this process."""
    with running_worker(app, None) as (broker, actors, worker):
        def run(message):
            broker.enqueue(message)
            broker.join(message.queue_name, timeout=30_000, fail_fast=False)  # a failure is what some tests want
            worker.join()

        yield actors, run


def test_a_failing_job_counts_as_a_failure_of_its_actor(app, demo, background, monkeypatch):
    actors, run = background
    failed, succeeded = jobs("find_breaches", "failed"), jobs("find_breaches", "succeeded")
    seconds = REGISTRY.get_sample_value("gongzhi_job_duration_seconds_count", {"actor": "find_breaches"}) or 0

    run(actors.find_breaches.message())
    # A supervision chain that cannot be read stops the SLA monitor: the job fails.
    monkeypatch.setenv("GONGZHI_SUPERVISION_CHAIN", "[not json")
    run(actors.find_breaches.message())
    run(actors.find_breaches.message())

    assert (jobs("find_breaches", "succeeded") - succeeded, jobs("find_breaches", "failed") - failed) == (1, 2)
    assert REGISTRY.get_sample_value("gongzhi_job_duration_seconds_count", {"actor": "find_breaches"}) == seconds + 3


def test_an_outbox_message_that_dies_is_counted_once(app, demo, background):
    actors, run = background
    outbox.on_enqueued(None)  # each attempt is sent here, not at the commit
    before = {outcome: deliveries(outcome) for outcome in ("pending", "dead", "skipped")}
    job_failures = jobs("deliver_message", "failed")
    with time_machine.travel(START, tick=False) as clock:
        with transaction():
            message_id = outbox.enqueue("carrier-pigeon", key="no-handler", payload={})  # every attempt fails
        for _ in range(outbox.MAX_ATTEMPTS):
            clock.shift(timedelta(hours=1))  # past any backoff
            run(actors.deliver_message.message(message_id))
        run(actors.deliver_message.message(message_id))  # dead: nothing left to do
    assert {outcome: deliveries(outcome) - before[outcome] for outcome in before} == {
        "pending": outbox.MAX_ATTEMPTS - 1, "dead": 1, "skipped": 1}
    assert jobs("deliver_message", "failed") == job_failures  # a failed delivery is recorded, not a crashed job


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.skipif(not REDIS_URL, reason="`gongzhi worker` needs a broker: set GONGZHI_TEST_REDIS_URL (.ci/run does)")
def test_gongzhi_worker_serves_the_sum_of_its_processes_metrics_and_logs_json(app, demo, tmp_path):
    queue = f"test-{uuid.uuid4().hex[:12]}"
    port = free_port()
    env = {**os.environ, "GONGZHI_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "GONGZHI_SECRET_KEY": "t",
           "GONGZHI_BROKER_URL": REDIS_URL, "GONGZHI_QUEUE_NAME": queue, "GONGZHI_LOG_FORMAT": "json",
           "GONGZHI_WORKER_METRICS_PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_1.db").write_bytes(b"stale")  # an earlier run's: cleared at start
    errors = tmp_path / "worker.err"
    with errors.open("w") as stderr:
        process = subprocess.Popen([GONGZHI, "worker", "--processes", "2", "--threads", "1"], env=env, cwd=tmp_path,
                                   stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
    broker, actors = setup_background(app, broker_url=REDIS_URL, queue_name=queue)
    try:
        sent = 6
        for _ in range(sent):
            actors.announce_due_soon.send()

        def served() -> float:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                    text = response.read().decode()
            except OSError:
                return -1
            return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
                       if sample.name == "gongzhi_jobs_total" and sample.labels["actor"] == "announce_due_soon")

        deadline = time.monotonic() + 90  # other processes are doing the work: wait for them
        while served() != sent:
            assert process.poll() is None, errors.read_text()
            assert time.monotonic() < deadline, f"served {served()}, sent {sent}\n{errors.read_text()}"
            time.sleep(0.2)
        # The server is a process of its own that runs no job: what it shows, it read from the workers' files.
        assert "counter_1.db" not in {path.name for path in (tmp_path / "metrics").iterdir()}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        broker.close()
        outbox.on_enqueued(None)
        dramatiq.set_broker(dramatiq.brokers.stub.StubBroker())
    lines = [json.loads(line) for line in errors.read_text().splitlines() if line.strip()]
    loggers = {line["logger"] for line in lines}
    assert {"dramatiq.MainProcess", "dramatiq.WorkerProcess(0)", "dramatiq.WorkerProcess(1)"} <= loggers
    assert any(line["message"] == f"worker metrics at http://127.0.0.1:{port}/metrics" for line in lines)

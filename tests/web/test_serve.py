"""`gongzhi serve` on the embedded default runs a worker and a scheduler in its own process."""

import time
from datetime import UTC, datetime, timedelta

import dramatiq
import time_machine

from engine import get_case, outbox, start_case
from web.cli.serve import start_in_process_worker

DISPUTE = {"source": "petition", "location": "dg-puxi-g1", "parties": ["甲", "乙"], "summary": "噪音纠纷"}


def test_the_in_process_worker_fires_the_timers_that_are_due(app, demo):
    app.config["TIMER_TICK_SECONDS"] = 0.05
    with time_machine.travel(datetime(2026, 6, 1, 8, 0, tzinfo=UTC), tick=False) as clock:
        case = start_case(process_id="dispute_funnel", data=DISPUTE)
        clock.shift(timedelta(days=3, minutes=1))
        worker, stop = start_in_process_worker(app)
        try:
            deadline = time.monotonic() + 20  # the worker thread's result, not a clock: wait for it
            while get_case(case.id).open_tasks[0].bpmn_id != "Task_StreetMediation":
                assert time.monotonic() < deadline, "the in-process worker did not fire the due timer"
                time.sleep(0.05)
        finally:
            stop.set()
            worker.stop()
            outbox.on_enqueued(None)
            dramatiq.set_broker(dramatiq.brokers.stub.StubBroker())


def test_a_worker_or_scheduler_without_a_broker_url_says_what_to_set(cli):
    for command in ("worker", "scheduler"):
        result = cli(command)
        assert result.exit_code == 1
        assert "GONGZHI_BROKER_URL" in result.output


def test_a_broker_url_of_an_unknown_kind_is_refused_clearly(app, cli):
    app.config["BROKER_URL"] = "kafka://127.0.0.1:9092"
    result = cli("scheduler", "--once")
    assert result.exit_code == 1
    assert "redis://" in result.output and "amqp://" in result.output

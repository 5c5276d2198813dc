"""The web processes under gunicorn with web/gunicorn_conf.py: settings that load, and metrics summed over workers."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

GUNICORN = str(Path(sys.executable).parent / "gunicorn")
GONGZHI = str(Path(sys.executable).parent / "gongzhi")


def environment(tmp_path, **settings) -> dict:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("GONGZHI_") and name != "PROMETHEUS_MULTIPROC_DIR"}
    return {**env, "GONGZHI_DATABASE_URL": f"sqlite:///{tmp_path / 'web.db'}", "GONGZHI_SECRET_KEY": "test",
            **settings}


def check_config(tmp_path, **settings) -> subprocess.CompletedProcess:
    return subprocess.run([GUNICORN, "-c", "python:web.gunicorn_conf", "--check-config"], cwd=tmp_path,
                          env=environment(tmp_path, **settings), capture_output=True, text=True, timeout=120)


def test_the_gunicorn_settings_pass_gunicorns_own_check(tmp_path):
    result = check_config(tmp_path, GONGZHI_WEB_WORKERS="3", GONGZHI_BIND="127.0.0.1:8001,127.0.0.1:8002")
    assert result.returncode == 0, result.stderr


def test_a_setting_gunicorn_cannot_use_is_refused_with_its_name(tmp_path):
    result = check_config(tmp_path, GONGZHI_WEB_WORKERS="many")
    assert result.returncode != 0
    assert "GONGZHI_WEB_WORKERS='many' is not a positive whole number" in result.stdout + result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read().decode()


def test_two_workers_answer_metrics_summed_over_both_and_log_json(tmp_path):
    port = free_port()
    metrics_dir = tmp_path / "metrics"
    env = environment(tmp_path, GONGZHI_BIND=f"127.0.0.1:{port}", GONGZHI_WEB_WORKERS="2",
                      GONGZHI_WEB_THREADS="1", GONGZHI_LOG_FORMAT="json", PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    subprocess.run([GONGZHI, "db", "upgrade"], cwd=tmp_path, env=env, check=True, capture_output=True, timeout=120)
    errors = tmp_path / "gunicorn.err"
    with errors.open("w") as stderr:
        server = subprocess.Popen([GUNICORN, "-c", "python:web.gunicorn_conf"], cwd=tmp_path, env=env,
                                  stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
    try:
        deadline = time.monotonic() + 90  # two processes import the platform on a busy machine
        while errors.read_text().count("Booting worker") < 2 or not _answers(port):
            assert server.poll() is None, errors.read_text()
            assert time.monotonic() < deadline, errors.read_text()
            time.sleep(0.2)
        # One thread per worker: requests sent together are spread over both, once both have loaded the
        # platform ("Booting worker" is logged before a worker imports it).
        with ThreadPoolExecutor(8) as pool:
            while len({line["process"] for line in _ready_lines(errors)}) < 2:
                assert time.monotonic() < deadline, "one worker served every request"
                statuses = list(pool.map(lambda _: get(f"http://127.0.0.1:{port}/ready")[0], range(40)))
                assert statuses == [200] * 40
        _status, text = get(f"http://127.0.0.1:{port}/metrics")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)

    lines = [json.loads(line) for line in errors.read_text().splitlines() if line.strip()]
    ready = _ready_lines(errors)  # the batches of 40, and the start-up wait's probes
    counted = sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
                  if sample.name == "gongzhi_http_request_duration_seconds_count"
                  and sample.labels == {"endpoint": "health.ready", "method": "GET", "status": "200"})
    assert counted == len(ready) >= 40  # every worker's requests, whichever worker answered /metrics
    gunicorn_says = [line["message"] for line in lines if line["logger"] == "gunicorn.error"]
    assert any(message.startswith("Starting gunicorn") for message in gunicorn_says)
    assert sum(message.startswith("Booting worker") for message in gunicorn_says) == 2


def _ready_lines(log: Path) -> list[dict]:
    """The JSON access-log lines of the /ready requests answered 200 (whole lines: the log is being written)."""
    lines = [json.loads(line) for line in log.read_text().splitlines(keepends=True) if line.endswith("\n")]
    return [line for line in lines if line["logger"] == "gongzhi.access" and line["route"] == "/ready"
            and line["status"] == 200]


def _answers(port: int) -> bool:
    try:
        return get(f"http://127.0.0.1:{port}/ready")[0] == 200
    except OSError:
        return False


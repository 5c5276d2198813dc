"""docs/deploy: the systemd units, the environment file and the alert rules an operator copies from."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from integrations import metrics as job_metrics
from web import metrics as web_metrics

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "docs" / "deploy"
SETTING = re.compile(r"\bGONGZHI_[A-Z0-9_]+\b")
TEST_ONLY = {"GONGZHI_TEST_POSTGRES_URL", "GONGZHI_TEST_REDIS_URL", "GONGZHI_TEST_RABBITMQ_URL"}


def settings_read_by_the_code() -> set[str]:
    found = set()
    for package in ("engine", "web", "integrations", "processes"):
        for path in (ROOT / package).rglob("*.py"):
            found |= set(SETTING.findall(path.read_text(encoding="utf-8")))
    return found - TEST_ONLY


def settings_in_the_environment_file() -> set[str]:
    names = set()
    for line in (DEPLOY / "gongzhi.env").read_text(encoding="utf-8").splitlines():
        match = re.match(r"#?(GONGZHI_[A-Z0-9_]+)=", line)
        if match:
            names.add(match.group(1))
    return names


def test_the_environment_file_names_every_setting_the_platform_reads():
    missing = settings_read_by_the_code() - settings_in_the_environment_file()
    assert not missing, f"add these to docs/deploy/gongzhi.env (and docs/deployment.md): {sorted(missing)}"


def test_the_environment_file_names_no_setting_nothing_reads():
    script = (DEPLOY / "gongzhi-backup").read_text(encoding="utf-8")
    stale = settings_in_the_environment_file() - settings_read_by_the_code() - set(SETTING.findall(script))
    assert not stale, f"nothing reads these any more: {sorted(stale)}"


def test_every_setting_is_explained_in_the_deployment_guide():
    guide = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    unexplained = settings_in_the_environment_file() - set(SETTING.findall(guide))
    assert not unexplained, f"docs/deployment.md does not mention {sorted(unexplained)}"


def test_the_units_run_the_documented_commands():
    web = (DEPLOY / "gongzhi-web.service").read_text()
    worker = (DEPLOY / "gongzhi-worker.service").read_text()
    scheduler = (DEPLOY / "gongzhi-scheduler.service").read_text()
    assert "ExecStart=/srv/gongzhi/.venv/bin/gunicorn -c python:web.gunicorn_conf web.wsgi:app" in web
    assert "Environment=PROMETHEUS_MULTIPROC_DIR=/run/gongzhi-web" in web and "RuntimeDirectory=gongzhi-web" in web
    assert "ExecStart=/srv/gongzhi/.venv/bin/gongzhi worker " in worker
    assert "ExecStart=/srv/gongzhi/.venv/bin/gongzhi scheduler" in scheduler
    for unit in (web, worker, scheduler, (DEPLOY / "gongzhi-backup.service").read_text()):
        assert "EnvironmentFile=/etc/gongzhi/gongzhi.env" in unit


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_finds_nothing_wrong_in_the_units(tmp_path):
    bin_dir = str(Path(sys.executable).parent)
    for path in DEPLOY.iterdir():
        if path.suffix in (".service", ".timer"):
            text = path.read_text().replace("/srv/gongzhi/.venv/bin", bin_dir)
            text = text.replace("/usr/local/bin/gongzhi-backup", str(DEPLOY / "gongzhi-backup"))
            (tmp_path / path.name).write_text(text)
    units = sorted(str(path) for path in tmp_path.iterdir())
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *units], capture_output=True, text=True,
                            timeout=120)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def exposed_metric_names() -> set[str]:
    """The metric families the platform exposes: the web's, the backlog gauges and the workers'."""
    names = {web_metrics.REQUEST_SECONDS._name}
    source = (ROOT / "web" / "metrics.py").read_text()
    names |= set(re.findall(r'GaugeMetricFamily\(\s*"([a-z_]+)"', source))
    names |= {metric._name for metric in (job_metrics.JOBS, job_metrics.JOB_SECONDS, job_metrics.DELIVERIES)}
    return names


def test_the_alert_rules_use_only_metrics_the_platform_exposes():
    rules = [rule for group in yaml.safe_load((DEPLOY / "prometheus-alerts.yml").read_text())["groups"]
             for rule in group["rules"]]
    assert {rule["alert"] for rule in rules} >= {"GongzhiOverdueGrowing", "GongzhiOutboxDead", "GongzhiJobFailures"}
    exposed = exposed_metric_names()
    for rule in rules:
        for name in re.findall(r"\bgongzhi_[a-z_]+", rule["expr"]):
            family = re.sub(r"_(total|bucket|count|sum)$", "", name)
            assert family in exposed, f"{rule['alert']} uses {name}, which nothing exposes"

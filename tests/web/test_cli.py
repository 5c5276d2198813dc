"""The gongzhi command line, as an operator uses it."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import time_machine

from engine.tokens import authenticate_token
from tests.engine import samples


def test_demo_load_prints_the_users_and_is_idempotent(cli):
    first = cli("demo", "load")
    assert first.exit_code == 0
    assert "gongzhi-demo" in first.output and "city-dispatcher" in first.output
    second = cli("demo", "load")
    assert "机构新增 0 个，用户新增 0 个" in second.output
    assert "diversion v1 (未变化)" in second.output


def test_a_case_worked_from_the_command_line(cli, demo):
    started = cli("case", "start", "diversion", "--json", "--data",
                  json.dumps({"category": "noise", "location": "sjm-duntou-g1", "description": "噪音扰民"}))
    assert started.exit_code == 0, started.output
    case = json.loads(started.stdout)
    task_id = case["open_tasks"][0]["id"]

    listed = json.loads(cli("task", "list", "--agency", "zs-dispatch", "--json").output)
    assert [t["id"] for t in listed] == [task_id]
    assert "已由 city-dispatcher 签收" in cli("task", "claim", str(task_id), "--user", "city-dispatcher").output
    mine = json.loads(cli("task", "list", "--user", "city-dispatcher", "--json").output)
    assert [t["status"] for t in mine] == ["claimed"]
    done = cli("task", "complete", str(task_id), "--user", "city-dispatcher", "--json",
               "--data", '{"city_dispatch_note": "转区级"}')
    assert json.loads(done.output)["open_tasks"][0]["bpmn_id"] == "Task_DistrictDispatch"

    shown = json.loads(cli("case", "show", str(case["id"]), "--json").output)
    assert [e["event"] for e in shown["events"]][:2] == ["case_started", "task_created"]
    assert "completed" in cli("case", "show", str(case["id"])).output


def test_bad_input_gets_a_message_not_a_traceback(cli, demo, tmp_path):
    bad_json = cli("case", "start", "diversion", "--data", "{not json")
    assert bad_json.exit_code == 2 and "not valid JSON" in bad_json.output
    not_object = cli("case", "start", "diversion", "--data", "[1, 2]")
    assert not_object.exit_code == 2 and "must be a JSON object" in not_object.output
    missing = cli("task", "claim", "999", "--user", "city-dispatcher")
    assert missing.exit_code == 1 and "task 999 does not exist" in missing.output
    invalid = cli("case", "start", "diversion", "--data", '{"category": "noise"}')
    assert invalid.exit_code == 1 and "location" in invalid.output
    broken = tmp_path / "broken.bpmn"
    broken.write_text(samples.sample_bpmn(**samples.TWO_OUTGOING))
    deployed = cli("deploy", str(broken))
    assert deployed.exit_code == 1 and "Multiple outgoing flows" in deployed.output
    for result in (bad_json, missing, invalid, deployed):
        assert "Traceback" not in result.output


def test_simulate_runs_cases_end_to_end(cli, demo):
    result = cli("demo", "simulate", "--cases", "12", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["cases_started"] == 12 and summary["errors"] == 0, summary["error_messages"]
    assert summary["cases_completed"] == 12
    assert set(summary["by_process"]) == {"diversion", "dispute_funnel", "sea_land", "one_window"}
    # Every dispute needs at least its community mediation; police-business incidents need no task.
    assert summary["by_process"]["dispute_funnel"]["tasks_completed"] >= 3


def test_the_installed_console_script_runs_the_readme_steps(tmp_path):
    gongzhi = Path(sys.executable).with_name("gongzhi")
    env = {**os.environ, "GONGZHI_DATABASE_URL": f"sqlite:///{tmp_path / 'readme.db'}"}

    def run(*args):
        return subprocess.run([str(gongzhi), *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=120)

    assert run("db", "upgrade").returncode == 0
    loaded = run("demo", "load")
    assert loaded.returncode == 0, loaded.stderr
    processes = json.loads(run("process", "list", "--json").stdout)
    assert {p["process_id"] for p in processes} == {"diversion", "dispute_funnel", "sea_land", "one_window"}


def test_text_output_shows_times_in_china_time(cli, demo):
    with time_machine.travel(datetime(2026, 5, 11, 1, 0, tzinfo=UTC), tick=False):
        cli("case", "start", "diversion", "--data",
            json.dumps({"category": "noise", "location": "sjm-duntou-g1", "description": "噪音"}))
    # Created 09:00 Beijing time, due 30 minutes later.
    assert "期限 2026-05-11 09:30" in cli("task", "list").output


def test_api_tokens_from_the_command_line(cli, demo):
    created = cli("token", "create", "--user", "sjm-police", "--name", "110 接警推送")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("gz_") and len(token) == 46
    assert "只显示这一次" in created.output and "not shown again" in created.output
    assert authenticate_token(token) == "sjm-police"

    listed = json.loads(cli("token", "list", "--json").stdout)
    assert [(t["name"], t["username"], t["active"], t["revoked_at"]) for t in listed] == [
        ("110 接警推送", "sjm-police", True, None)]
    assert token not in json.dumps(listed) and "hash" not in json.dumps(listed)
    assert "有效" in cli("token", "list").output

    assert f"API 令牌 {listed[0]['id']} 已吊销" in cli("token", "revoke", str(listed[0]["id"])).output
    assert authenticate_token(token) is None
    assert json.loads(cli("token", "list", "--json").stdout)[0]["active"] is False
    assert "已吊销" in cli("token", "list").output


def test_token_commands_explain_bad_input(cli, demo):
    unknown_user = cli("token", "create", "--user", "nobody", "--name", "x")
    assert unknown_user.exit_code == 1 and "user 'nobody' does not exist" in unknown_user.output
    no_name = cli("token", "create", "--user", "sjm-police", "--name", " ")
    assert no_name.exit_code == 1 and "name is required" in no_name.output
    missing = cli("token", "revoke", "42")
    assert missing.exit_code == 1 and "API token 42 does not exist" in missing.output
    not_a_number = cli("token", "revoke", "first")
    assert not_a_number.exit_code == 2 and "not a valid integer" in not_a_number.output
    assert cli("token", "list").output.strip() == "没有 API 令牌"
    for result in (unknown_user, no_name, missing, not_a_number):
        assert "Traceback" not in result.output

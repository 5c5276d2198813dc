"""Extensions from the command line: gongzhi task extend, gongzhi extension list / approve / refuse."""

import json
from datetime import UTC, datetime, timedelta

import time_machine

from engine import start_case
from tests.steps import work

NOISE = {"category": "noise", "location": "sjm-duntou-g1", "description": "噪音"}
T0 = datetime(2025, 6, 4, 2, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Shanghai


def street_task() -> int:
    case = start_case(process_id="diversion", data=NOISE, username="sjm-police")
    case = work(case.open_tasks[0].id, "city-dispatcher", {"city_dispatch_note": "转区级"})
    case = work(case.open_tasks[0].id, "pt-dispatcher", {"district_dispatch_note": "转沈家门"})
    return case.open_tasks[0].id  # at the street squad, due Thursday 10:00


def test_extensions_worked_from_the_command_line(cli, demo):
    with time_machine.travel(T0, tick=False):
        task_id = street_task()
        asked = cli("task", "extend", str(task_id), "--user", "sjm-squad", "--reason", "当事人外出",
                    "--extra", "2 working days")
        assert asked.exit_code == 0, asked.output
        assert asked.output.strip() == (f"延期申请 1 已提交：任务 {task_id} 期限 2025-06-05 10:00 → 2025-06-09 10:00，"
                                        "待 沈家门街道 审批")
        listed = cli("extension", "list", "--user", "sjm-supervisor", "--status", "pending")
        assert f"任务 {task_id}" in listed.output and "[待审批] 申请人 sjm-squad" in listed.output
        assert cli("extension", "list", "--user", "dg-supervisor").output == ""

        approved = cli("extension", "approve", "1", "--user", "sjm-supervisor", "--note", "同意")
        assert approved.output.strip() == f"延期申请 1 已批准：任务 {task_id} 期限改为 2025-06-09 10:00"

        second = json.loads(cli("task", "extend", str(task_id), "--user", "sjm-squad", "--reason", "再等等",
                                "--until", "2025-06-10T17:30", "--json").output)
        assert second["requested_due_at"] == (datetime(2025, 6, 10, 9, 30, tzinfo=UTC)).isoformat()
        refused = cli("extension", "refuse", str(second["id"]), "--user", "pt-supervisor", "--note", "请按期办结")
        assert refused.output.strip() == f"延期申请 {second['id']} 已驳回：任务 {task_id} 期限仍为 2025-06-09 10:00"

        everything = json.loads(cli("extension", "list", "--json").output)
        assert [(item["id"], item["status"]) for item in everything["items"]] == [
            (second["id"], "refused"), (1, "approved")]


def test_bad_input_gets_a_message_not_a_traceback(cli, demo):
    with time_machine.travel(T0, tick=False):
        task_id = street_task()
        extend = ("task", "extend", str(task_id), "--user", "sjm-squad", "--reason", "等待")
        neither = cli(*extend)
        assert neither.exit_code == 1 and "give exactly one of until" in neither.output
        assert "Traceback" not in neither.output
        bad_until = cli(*extend, "--until", "next monday")
        assert bad_until.exit_code == 2 and "not an ISO 8601 time" in bad_until.output
        early = cli(*extend, "--until", (T0 + timedelta(hours=1)).isoformat())
        assert early.exit_code == 1 and "later than the current one" in early.output
        assert "not understood" in cli(*extend, "--extra", "a while").output

        assert cli(*extend, "--extra", "1 days").exit_code == 0
        assert "already has an extension request" in cli(*extend, "--extra", "1 days").output
        staff = cli("extension", "approve", "1", "--user", "sjm-squad")
        assert staff.exit_code == 1 and "only a supervisor of 沈家门街道" in staff.output
        no_note = cli("extension", "refuse", "1", "--user", "sjm-supervisor", "--note", " ")
        assert no_note.exit_code == 1 and "a refusal needs a note" in no_note.output
        assert "extension 99 does not exist" in cli("extension", "approve", "99", "--user", "sjm-supervisor").output
        assert "user 'ghost' does not exist" in cli("extension", "list", "--user", "ghost").output
        assert cli("extension", "approve", "1", "--user", "sjm-supervisor").exit_code == 0
        twice = cli("extension", "approve", "1", "--user", "pt-supervisor")
        assert twice.exit_code == 1 and "already approved" in twice.output

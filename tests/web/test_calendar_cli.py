"""gongzhi calendar seed / import / status, as an administrator uses them."""

import json
from datetime import UTC, datetime

import pytest
import time_machine

NOVEMBER_2026 = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)


def schedule_file(tmp_path, schedule, name="2027.json"):
    path = tmp_path / name
    path.write_text(schedule if isinstance(schedule, str) else json.dumps(schedule, ensure_ascii=False),
                    encoding="utf-8")
    return str(path)


def test_seed_loads_the_package_years_once(cli):
    first = cli("calendar", "seed")
    assert first.exit_code == 0 and "–2026" in first.output
    assert "没有需要载入的年份" in cli("calendar", "seed").output


def test_status_warns_that_next_year_is_missing_until_it_is_imported(cli, tmp_path):
    cli("calendar", "seed")
    with time_machine.travel(NOVEMBER_2026, tick=False):
        before = cli("calendar", "status")
        assert before.exit_code == 0
        assert "2026  已覆盖  节假日 33 天  调休上班 6 天" in before.output
        assert "2027  未覆盖  警告：2027 年没有节假日安排" in before.output

        imported = cli("calendar", "import", schedule_file(tmp_path, {
            "year": 2027, "holidays": {"2027-01-01": "元旦"}, "workdays": {"2027-02-06": "春节调休"}}))
        assert imported.exit_code == 0, imported.output
        assert "已导入 2027 年日历：节假日 1 天，调休上班 1 天；重新计算了 0 个待办任务的期限" in imported.output

        after = cli("calendar", "status", "--json")
    years = {item["year"]: item for item in json.loads(after.output)}
    assert years[2027]["covered"] and years[2027]["source"] == "import:2027.json"
    assert years[2026]["holidays"] == 33 and "未覆盖" not in cli("calendar", "status").output


def test_importing_a_year_again_replaces_it(cli, tmp_path):
    path = schedule_file(tmp_path, {"year": 2027, "holidays": {"2027-01-01": "元旦"}})
    cli("calendar", "import", path)
    assert "已替换 2027 年日历" in cli("calendar", "import", path).output


@pytest.mark.parametrize(("content", "message"), [
    ({"year": 2027, "holidays": {"2027-13-01": "元旦"}, "workdays": {"2026-02-14": "春节调休"}},
     ["the 2027 schedule has errors", "holidays: '2027-13-01' is not a date: write it as YYYY-MM-DD",
      "workdays: 2026-02-14 is not in 2027"]),
    ({"year": 2027, "holidays": {"2027-02-06": "春节"}, "workdays": {"2027-02-06": "春节调休"}},
     ["2027-02-06 is also a holiday: a day is one or the other"]),
    ('{"year": 2027, "holidays": {', ["is not valid UTF-8 JSON"]),
    ({"holidays": {}}, ["the schedule's year is None"]),
])
def test_a_bad_file_is_refused_with_what_to_fix(cli, tmp_path, content, message):
    result = cli("calendar", "import", schedule_file(tmp_path, content))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    for text in message:
        assert text in result.output
    assert "已导入" not in result.output

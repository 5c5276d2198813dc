"""`gongzhi demo generate` as an operator runs it."""

import json

from sqlalchemy import text

from engine.db import db
from engine.demo.generate import SQLITE_MAX_CASES


def test_generate_shows_progress_and_a_summary_and_adds_on_a_rerun(cli, demo):
    result = cli("demo", "generate", "--cases", "40")
    assert result.exit_code == 0, result.output
    assert "生成案件" in result.stderr  # the progress bar, on stderr
    assert "新增案件 40 件（其中 32 件经引擎实际办理作为模板）" in result.stdout
    assert "行/秒" in result.stdout and "case_record 8" in result.stdout
    again = json.loads(cli("demo", "generate", "--cases", "35", "--json").stdout)
    assert again["cases"] == 35 and sum(again["by_status"].values()) == 75
    assert db.session.execute(text("SELECT count(*) FROM case_record")).scalar() == 75


def test_generate_refuses_bad_counts_and_an_empty_database(app, cli):
    zero = cli("demo", "generate", "--cases", "0")
    assert zero.exit_code == 2 and "must be at least 1" in zero.output
    word = cli("demo", "generate", "--cases", "many")
    assert word.exit_code == 2 and "'many' is not a valid integer" in word.output
    empty = cli("demo", "generate", "--cases", "10")
    assert empty.exit_code == 1 and "run `gongzhi demo load` first" in empty.output
    assert "Traceback" not in empty.output and "生成案件" not in empty.output
    if app.config["BACKEND"] == "sqlite":
        big = cli("demo", "generate", "--cases", str(SQLITE_MAX_CASES + 1))
        assert big.exit_code == 1 and "use PostgreSQL" in big.output

"""Backups: the documented pg_dump (docs/deploy/gongzhi-backup), then pg_restore into a new database."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from engine import start_case
from tests.steps import work

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "docs" / "deploy" / "gongzhi-backup"
GONGZHI = str(Path(sys.executable).parent / "gongzhi")
WALL = {"category": "property_damage", "location": "sjm-duntou-g1", "description": "墙体被撞裂，双方争执"}


def run(*args, env=None, cwd=None) -> str:
    result = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{args}: {result.stdout}{result.stderr}"
    return result.stdout


@pytest.mark.skipif(not all(map(shutil.which, ("pg_dump", "pg_restore", "createdb", "dropdb"))),
                    reason="the PostgreSQL client tools are not installed")
def test_a_nightly_backup_restored_into_a_new_database_has_the_case_again(app, demo, tmp_path):
    if app.config["BACKEND"] != "postgres":
        pytest.skip("pg_dump backs up PostgreSQL; this is the SQLite run")
    case = start_case(process_id="diversion", data=WALL, username="sjm-police")
    work(case.open_tasks[0].id, "city-dispatcher", {"city_dispatch_note": "转区分流"})

    source = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    env = {**os.environ, "GONGZHI_DATABASE_URL": source.render_as_string(hide_password=False),
           "GONGZHI_BACKUP_DIR": str(tmp_path / "backups"), "GONGZHI_BACKUP_KEEP_DAYS": "14"}
    dump = Path(run(str(BACKUP), env=env).strip())
    assert dump.parent == tmp_path / "backups" and dump.name.startswith("gongzhi-") and dump.suffix == ".dump"
    assert [path.name for path in dump.parent.iterdir()] == [dump.name]  # no partial file left behind

    # Restore as docs/deployment.md says: a new database, pg_restore, then `gongzhi db upgrade`.
    restored = f"{source.database}_restore"
    server = ["--host", source.host or "127.0.0.1", "--port", str(source.port or 5432),
              "--username", source.username or "postgres"]
    run("dropdb", "--if-exists", *server, restored)
    run("createdb", *server, restored)
    try:
        target = source.set(drivername="postgresql", database=restored).render_as_string(hide_password=False)
        run("pg_restore", "--no-owner", f"--dbname={target}", str(dump))
        cli_env = {**os.environ, "GONGZHI_DATABASE_URL": target, "GONGZHI_SECRET_KEY": "test"}
        run(GONGZHI, "db", "upgrade", env=cli_env, cwd=tmp_path)
        shown = json.loads(run(GONGZHI, "case", "show", str(case.id), "--json", env=cli_env, cwd=tmp_path))
    finally:
        run("dropdb", "--if-exists", *server, restored)
    assert (shown["id"], shown["process_id"], shown["status"]) == (case.id, "diversion", "running")
    assert [task["bpmn_id"] for task in shown["open_tasks"]] == ["Task_DistrictDispatch"]

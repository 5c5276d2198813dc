"""Load the demo agencies, users and working-day calendar, and deploy the shipped diagrams. Safe to run again."""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import insert, select
from werkzeug.security import generate_password_hash

from engine.calendar import seed_calendar
from engine.db import utcnow
from engine.deploy import deploy, read_sources
from engine.org import AGENCY, USER, agency_path
from engine.results import DeployResult
from engine.transaction import transaction

ORG_FILE = Path(__file__).with_name("org.json")
SHIPPED_BPMN = Path(__file__).resolve().parents[2] / "bpmn"


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    agency: str
    roles: str


@dataclass(frozen=True)
class DemoLoad:
    agencies_created: int
    users_created: int
    password: str
    users: list[DemoUser]
    deployed: list[DeployResult]


@cache
def demo_org() -> dict:
    return json.loads(ORG_FILE.read_text(encoding="utf-8"))


@cache
def _password_hash(password: str) -> str:
    # One hash for the shared demo password keeps loading fast; real users get their own.
    return generate_password_hash(password)


def _load_agencies(conn, spec: list[dict]) -> int:
    paths = dict(conn.execute(select(AGENCY.c.code, AGENCY.c.path)).all())
    ids = dict(conn.execute(select(AGENCY.c.code, AGENCY.c.id)).all())
    created = 0
    for item in spec:  # parents come before their children in the file
        if item["code"] in ids:
            continue
        parent = item["parent"]
        paths[item["code"]] = agency_path(paths[parent] if parent else None, item["code"])
        ids[item["code"]] = conn.execute(insert(AGENCY).returning(AGENCY.c.id), {
            "code": item["code"], "name": item["name"], "level": item["level"], "kind": item["kind"],
            "parent_id": ids[parent] if parent else None, "path": paths[item["code"]],
            "cross_area": item.get("cross_area", False)}).scalar_one()
        created += 1
    return created


def _load_users(conn, spec: list[dict], password: str) -> int:
    known = set(conn.execute(select(USER.c.username)).scalars())
    agencies = dict(conn.execute(select(AGENCY.c.code, AGENCY.c.id)).all())
    new = [{"username": item["username"], "display_name": item["display_name"],
            "agency_id": agencies[item["agency"]], "roles": item["roles"], "active": True,
            "password_hash": _password_hash(password), "created_at": utcnow()}
           for item in spec if item["username"] not in known]
    if new:
        conn.execute(insert(USER), new)
    return len(new)


def load_demo(*, bpmn_dir: Path = SHIPPED_BPMN) -> DemoLoad:
    """Create the demo agencies and users that are missing, seed the calendar, then deploy the shipped diagrams."""
    org = demo_org()
    with transaction() as unit:
        agencies_created = _load_agencies(unit.conn, org["agencies"])
        users_created = _load_users(unit.conn, org["users"], org["password"])
    seed_calendar()
    deployed = deploy(sources=read_sources([str(bpmn_dir)]), username="designer")
    users = [DemoUser(u["username"], u["display_name"], u["agency"], u["roles"]) for u in org["users"]]
    return DemoLoad(agencies_created, users_created, org["password"], users, deployed)

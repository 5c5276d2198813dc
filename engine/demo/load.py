"""Load the demo agency tree and users, and deploy the shipped diagrams. Safe to run again."""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from engine.db import db
from engine.deploy import deploy, read_sources
from engine.models import Agency, User
from engine.org import agency_path
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


def _load_agencies(spec: list[dict]) -> int:
    existing = {agency.code: agency for agency in db.session.scalars(select(Agency))}
    created = 0
    for item in spec:
        if item["code"] in existing:
            continue
        parent = existing.get(item["parent"]) if item["parent"] else None
        agency = Agency(code=item["code"], name=item["name"], level=item["level"], kind=item["kind"],
                        parent=parent, path=agency_path(parent, item["code"]),
                        cross_area=item.get("cross_area", False))
        db.session.add(agency)
        existing[agency.code] = agency
        created += 1
    db.session.flush()
    return created


def _load_users(spec: list[dict], password: str) -> int:
    known = set(db.session.scalars(select(User.username)))
    agencies = dict(db.session.execute(select(Agency.code, Agency.id)).all())
    new = [User(username=item["username"], display_name=item["display_name"], agency_id=agencies[item["agency"]],
                roles=item["roles"], password_hash=_password_hash(password))
           for item in spec if item["username"] not in known]
    db.session.add_all(new)
    return len(new)


def load_demo(*, bpmn_dir: Path = SHIPPED_BPMN) -> DemoLoad:
    """Create the demo agencies and users that are missing, then deploy the shipped diagrams."""
    org = demo_org()
    with transaction():
        agencies_created = _load_agencies(org["agencies"])
        users_created = _load_users(org["users"], org["password"])
    deployed = deploy(sources=read_sources([str(bpmn_dir)]), username="designer")
    users = [DemoUser(u["username"], u["display_name"], u["agency"], u["roles"]) for u in org["users"]]
    return DemoLoad(agencies_created, users_created, org["password"], users, deployed)

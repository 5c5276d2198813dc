"""The HTTP load test's database: demo agencies, staff users and open work, built once and copied per run.

Used by bench/http_load.py. The template database (`gongzhi_bench_http_template`) holds the migrations, the
demo agencies, one staff user per virtual user (street squads and communities), and open work for each of
those agencies: dispute-funnel cases waiting for community mediation, and diversion cases passed through
city and district dispatch and waiting for the street squad's on-site handling. Each run gets a fresh copy
(`gongzhi_bench_http`, CREATE DATABASE ... TEMPLATE), so every run starts from the same work.
"""

import logging
import random
import secrets
import sys
import tempfile

from bench_db import postgres_bench_url
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text

import engine
from engine.channels import add_channel
from engine.db import db
from engine.demo.load import demo_org, load_demo
from engine.demo.simulate import sample_form
from engine.users import create_user
from processes.forms import load_form, start_form_name
from web.app import MIGRATIONS_DIR, create_app

TEMPLATE_DATABASE = "gongzhi_bench_http_template"
RUN_DATABASE = "gongzhi_bench_http"
PASSWORD = "bench-password-0"  # the benchmark's own throw-away users
# The agencies whose staff the virtual users are: the street squads get diversion cases, the communities
# dispute-funnel cases. Listed street by street, so a few users already cover every street.
AGENCIES = ("sjm-duntou", "sjm-siwan", "sjm-squad", "dg-haihua", "dg-puxi", "dg-squad", "zjj-zhangzhou", "zjj-squad")
SQUADS = tuple(code for code in AGENCIES if code.endswith("-squad"))
COMMUNITIES = tuple(code for code in AGENCIES if not code.endswith("-squad"))
# Street-tier matters whose department step goes to the community: their follow-up stays with the bench users.
DIVERSION_CATEGORIES = ("noise", "property_damage", "neighbour_dispute")
DISPUTE_CATEGORIES = ("neighbour_dispute", "property_damage")  # both start at community mediation


def staff_plan(users: int) -> list[dict]:
    """One staff member per virtual user, spread over AGENCIES; users of one agency split its tasks (`slot`)."""
    per_agency = {agency: sum(1 for i in range(users) if AGENCIES[i % len(AGENCIES)] == agency) for agency in AGENCIES}
    return [{"username": f"bench-{AGENCIES[i % len(AGENCIES)]}-{i // len(AGENCIES)}", "password": PASSWORD,
             "agency": AGENCIES[i % len(AGENCIES)], "slot": i // len(AGENCIES),
             "slots": per_agency[AGENCIES[i % len(AGENCIES)]]} for i in range(users)]


def build_template(server_url: str, staff: list[dict], cases_per_agency: int, webhook_url: str) -> None:
    """Migrate, load the demo, create the staff users, open the work and the webhook channels."""
    logging.disable(logging.INFO)  # the migrations' log lines
    url = postgres_bench_url(server_url, TEMPLATE_DATABASE)
    rng = random.Random(1)
    parents = {item["code"]: item["parent"] for item in demo_org()["agencies"]}
    grids = [item["code"] for item in demo_org()["agencies"] if item["level"] == "grid"]

    def grids_under(agency: str) -> list[str]:
        area = agency if agency in COMMUNITIES else parents[agency]  # a squad serves its whole street
        return [grid for grid in grids if parents[grid] == area or parents[parents[grid]] == area]

    def work_through(case, agency: str, username: str):
        task = case.open_tasks[0]
        if task.agency_code != agency:
            raise SystemExit(f"case {case.id}: expected a task at {agency}, found {task.name} at {task.agency_code}")
        engine.claim_task(task_id=task.id, username=username)
        return engine.complete_task(task_id=task.id, username=username, data=sample_form(load_form(task.form), rng))

    with tempfile.TemporaryDirectory(prefix="gongzhi-bench-http-") as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "build"}, instance_path=tmp)
        with app.app_context():
            upgrade(directory=MIGRATIONS_DIR)
            load_demo()
            for member in staff:
                create_user(actor_username="admin", username=member["username"], agency_code=member["agency"],
                            display_name=f"压测 {member['agency']} {member['slot']}", roles=["staff"],
                            password=PASSWORD)
            for index in range(cases_per_agency):
                for community in COMMUNITIES:
                    data = {**sample_form(load_form(start_form_name("dispute_funnel")), rng),
                            "location": rng.choice(grids_under(community)),
                            "category": rng.choice(DISPUTE_CATEGORIES)}
                    case = engine.start_case(process_id="dispute_funnel", data=data)
                    if case.open_tasks[0].agency_code != community:
                        raise SystemExit(f"dispute case {case.id} did not start at {community}")
                for squad in SQUADS:
                    data = {**sample_form(load_form(start_form_name("diversion")), rng), "notify_caller": False,
                            "location": rng.choice(grids_under(squad)), "category": rng.choice(DIVERSION_CATEGORIES)}
                    case = engine.start_case(process_id="diversion", data=data)
                    case = work_through(case, "zs-dispatch", "city-dispatcher")
                    case = work_through(case, "pt-dispatch", "pt-dispatcher")
                    if case.open_tasks[0].agency_code != squad:
                        raise SystemExit(f"diversion case {case.id} did not reach {squad}")
                if (index + 1) % 50 == 0:
                    print(f"  built {index + 1}/{cases_per_agency} cases per agency", file=sys.stderr)
            # Every agency's partner system hears of its new tasks, so each command under load that opens
            # one sends a webhook through the outbox, the broker and the worker. Added after the work is
            # open: only what happens under load is announced.
            for agency in demo_org()["agencies"]:
                add_channel(kind="webhook", address=webhook_url, secret=secrets.token_hex(16),
                            agency_code=agency["code"])
            db.session.remove()
            db.engine.dispose()


def admin_engine(server_url: str):
    return create_engine(make_url(server_url).set(drivername="postgresql+psycopg", database="postgres"),
                         isolation_level="AUTOCOMMIT")


def copy_template(server_url: str) -> str:
    """(Re)create the run's database as a copy of the template; return its URL."""
    admin = admin_engine(server_url)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {RUN_DATABASE} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {RUN_DATABASE} TEMPLATE {TEMPLATE_DATABASE}"))
    admin.dispose()
    url = make_url(server_url).set(drivername="postgresql+psycopg", database=RUN_DATABASE)
    return url.render_as_string(hide_password=False)

"""Two web processes, two workers and a scheduler on PostgreSQL and RabbitMQ take 1,000 referrals at once,
end to end over HTTP; afterwards SQL queries show that no task, notice, event or message was lost or doubled.

GONGZHI_SCALE_REFERRALS changes the number of referrals (1000 by default) for a quicker local run.
"""

import os
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from engine.channels import add_channel
from engine.db import db
from engine.tokens import create_token
from engine.users import create_user
from tests.conftest import POSTGRES_URL
from tests.integrations.cluster import Cluster, cluster_env, delete_queues
from tests.integrations.conftest import SECRET
from tests.integrations.referral_driver import Driver, Plan, Staff
from tests.integrations.test_worker_processes import wait_for

RABBITMQ_URL = os.environ.get("GONGZHI_TEST_RABBITMQ_URL")
REFERRALS = int(os.environ.get("GONGZHI_SCALE_REFERRALS", "1000"))
CLIENTS = 24
INTAKE_SECRET = "dispatch-shared-secret-0123456789"
TICK_SECONDS = 2.0

pytestmark = [
    pytest.mark.skipif(not POSTGRES_URL, reason="several processes share a PostgreSQL database: set "
                                                "GONGZHI_TEST_POSTGRES_URL"),
    pytest.mark.skipif(not RABBITMQ_URL, reason="the processes meet at RabbitMQ: set GONGZHI_TEST_RABBITMQ_URL"),
]


@pytest.fixture
def postgres_app(app):
    if app.config["BACKEND"] != "postgres":
        pytest.skip("several web processes and workers are a PostgreSQL deployment (SQLite is one process)")
    return app


@pytest.fixture
def staff(postgres_app, demo, receiver):
    """Two staff users in every agency that has one, a webhook per agency, and everyone's API token."""
    by_agency: dict[str, list[str]] = {}
    for username, agency in db.session.execute(text(
            "SELECT u.username, a.code FROM app_user u JOIN agency a ON a.id = u.agency_id "
            "WHERE u.roles LIKE '%staff%' ORDER BY u.id")).all():
        by_agency.setdefault(agency, []).append(username)
    for agency, people in by_agency.items():
        second = f"{people[0]}-2"
        create_user(actor_username="admin", username=second, display_name=f"{people[0]} 同事", agency_code=agency,
                    roles=["staff"], password="scale-test-password")
        people.append(second)
    for (agency,) in db.session.execute(text("SELECT code FROM agency ORDER BY id")).all():
        add_channel(kind="webhook", address=receiver.url, secret=SECRET, agency_code=agency)
    people = {name for names in by_agency.values() for name in names} | {"admin"}
    tokens = {name: create_token(username=name, name="scale test").token for name in sorted(people)}
    return Staff(intake_token=tokens["sjm-police"], intake_secret=INTAKE_SECRET, tokens=tokens, by_agency=by_agency)


@pytest.fixture
def deployment(postgres_app, receiver, tmp_path):
    """Two gunicorn web processes, two dramatiq workers and a scheduler on the test database and RabbitMQ."""
    env, queue = cluster_env(
        database_url=postgres_app.config["SQLALCHEMY_DATABASE_URI"], broker_url=RABBITMQ_URL,
        GONGZHI_SECRET_KEY="scale-test", GONGZHI_INTAKE_HMAC_SECRET=INTAKE_SECRET,
        GONGZHI_SMS_GATEWAY_URL=receiver.url)
    cluster = Cluster(env=env, workdir=tmp_path, queue=queue)
    yield cluster
    cluster.stop()
    delete_queues(RABBITMQ_URL, queue)


def start(cluster: Cluster) -> None:
    for _ in range(2):
        cluster.web(threads=4)
        cluster.worker(threads=4)
    cluster.scheduler(interval=TICK_SECONDS)
    cluster.wait_until_ready()


def rows(sql: str, **params) -> list:
    return db.session.execute(text(sql), params).all()


def scalar(sql: str, **params):
    return db.session.execute(text(sql), params).scalar_one()


def outbox_drained() -> bool:
    db.session.rollback()  # a fresh snapshot: the other processes are writing
    return scalar("SELECT count(*) FROM outbox WHERE status <> 'sent'") == 0


@pytest.mark.timeout(900)
def test_two_web_processes_and_two_workers_take_every_referral_once(staff, deployment, receiver):
    start(deployment)
    plan = Plan(referrals=REFERRALS, police=max(1, REFERRALS // 20))
    incidents = plan.incidents()
    driver = Driver(deployment.web_urls, staff, plan)
    cpu_before, own_cpu_before = deployment.cpu_seconds(), time.process_time()
    began = time.monotonic()
    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            for done in [pool.submit(driver.referral, index, incident) for index, incident in enumerate(incidents)]:
                done.result()
    finally:
        driver.close()
    elapsed = time.monotonic() - began
    tally = driver.tally
    wait_for(outbox_drained, "every outbox message to be delivered", timeout=180, every=deployment.check_alive)
    drained = time.monotonic() - began
    cpu = deployment.cpu_seconds() - cpu_before
    own_cpu = time.process_time() - own_cpu_before
    time.sleep(2 * TICK_SECONDS)  # two more scheduler ticks: nothing may be sent twice
    db.session.rollback()
    print(f"\n{REFERRALS} referrals + {plan.police} police incidents, {CLIENTS} clients, 2 web + 2 workers: "
          f"{tally.requests()} requests in {elapsed:.1f} s ({tally.requests() / elapsed:.0f} req/s, "
          f"{REFERRALS / elapsed:.1f} referrals/s); outbox drained after {drained:.1f} s; "
          f"{len(tally.completions)} tasks completed, {len(tally.refused_claims)} claim races, "
          f"{len(receiver.calls)} deliveries; answers {dict(sorted(tally.statuses.items()))}; CPU s: "
          f"web {cpu['web']:.0f} ({1000 * cpu['web'] / tally.requests():.0f} ms/request), workers "
          f"{cpu['worker']:.0f} ({1000 * cpu['worker'] / max(1, len(receiver.calls)):.0f} ms/delivery), "
          f"scheduler {cpu['scheduler']:.0f}, PostgreSQL {cpu['database']:.0f}, clients and receiver {own_cpu:.0f}")

    # Every answer was one the clients expect: no 5xx, no refused step but the lost claim races.
    assert tally.problems == [], "\n".join(tally.problems[:20])
    assert {status for (_, status) in tally.statuses} <= {200, 201, 409}
    assert tally.statuses[("claim", 409)] == len(tally.refused_claims)
    assert deployment.log_lines("Traceback") == []

    check_incidents_and_cases(plan, incidents, tally)
    check_tasks_and_events(tally)
    check_notices_and_outbox(incidents, receiver)


def check_incidents_and_cases(plan, incidents, tally):
    ids = {incident["incident_id"] for incident in incidents}
    assert scalar("SELECT count(*) FROM incident") == len(ids)
    assert {external_id for (external_id,) in rows("SELECT external_id FROM incident WHERE source = '110'")} == ids
    # Each copy of a duplicate push got the same answer; only one of them took the incident.
    assert all(sum(status == 201 for status, _ in answers) == 1 for answers in tally.intake.values())
    assert sum(len(answers) == 2 for answers in tally.intake.values()) == -(-len(incidents) // plan.duplicate_every)
    assert scalar("SELECT count(*) FROM incident WHERE police_matter AND case_id IS NULL") == plan.police
    diverted = rows("SELECT case_id FROM incident WHERE NOT police_matter")
    assert len(diverted) == plan.referrals and len({case_id for (case_id,) in diverted}) == plan.referrals
    assert None not in {case_id for (case_id,) in diverted}
    # One case per diverted incident, and every one of them closed.
    assert scalar("SELECT count(*) FROM case_record") == plan.referrals
    assert rows("SELECT status, count(*) FROM case_record GROUP BY status") == [("completed", plan.referrals)]
    assert set(tally.cases.values()) == {"completed"} and len(tally.cases) == plan.referrals


def check_tasks_and_events(tally):
    # The task rows are the tasks the clients were shown, each worked to completion once.
    by_case: dict[int, set[int]] = {}
    for case_id, task_id in rows("SELECT case_id, id FROM task"):
        by_case.setdefault(case_id, set()).add(task_id)
    assert by_case == dict(tally.tasks)
    assert rows("SELECT case_id, spiff_task_id FROM task GROUP BY case_id, spiff_task_id HAVING count(*) > 1") == []
    assert rows("SELECT status, count(*) FROM task GROUP BY status") == [("completed", len(tally.completions))]
    assert dict(rows("SELECT t.id, u.username FROM task t JOIN app_user u ON u.id = t.completed_by_id")) == \
        tally.completions
    assert dict(rows("SELECT t.id, u.username FROM task t JOIN app_user u ON u.id = t.claimed_by_id")) == tally.claims

    def per(event: str, key: str) -> Counter:
        return Counter(dict(rows(f"SELECT {key}, count(*) FROM audit_event WHERE event = :event GROUP BY {key}",
                                 event=event)))

    cases = set(tally.cases)
    assert per("case_started", "case_id") == Counter(dict.fromkeys(cases, 1))
    assert per("case_completed", "case_id") == Counter(dict.fromkeys(cases, 1))
    tasks = set().union(*tally.tasks.values())
    assert per("task_created", "task_id") == Counter(dict.fromkeys(tasks, 1))
    # One `completed` per completed task, by who completed it; one `claimed` per won claim, none for a lost race.
    assert dict(rows("SELECT e.task_id, u.username FROM audit_event e JOIN app_user u ON u.id = e.actor_id "
                     "WHERE e.event = 'completed'")) == tally.completions
    assert per("completed", "task_id") == Counter(dict.fromkeys(tally.completions, 1))
    claimed = rows("SELECT e.task_id, u.username FROM audit_event e JOIN app_user u ON u.id = e.actor_id "
                   "WHERE e.event = 'claimed'")
    assert len(claimed) == tally.statuses[("claim", 200)] == len(tally.claims)
    assert dict(claimed) == tally.claims
    assert all(tally.claims[task_id] != loser for task_id, loser in tally.refused_claims.items())
    assert scalar("SELECT count(*) FROM audit_event WHERE event NOT IN "
                  "('case_started', 'case_completed', 'task_created', 'claimed', 'completed')") == 0


def check_notices_and_outbox(incidents, receiver):
    # Every agency listens: each task was announced to its agency exactly once.
    assert rows("SELECT t.id FROM task t LEFT JOIN notice n ON n.task_id = t.id AND n.kind = 'assignment' "
                "AND n.agency_id = t.candidate_agency_id GROUP BY t.id HAVING count(n.id) <> 1") == []
    assert rows("SELECT task_id FROM notice WHERE kind = 'due_soon' GROUP BY task_id HAVING count(*) > 1") == []
    # One outbox message per (notice, channel that reaches it), a survey link per return visit and a closure
    # text per case whose caller agreed to SMS; nothing else.
    expected = {key for (key,) in rows(
        "SELECT 'notice:' || n.id || ':channel:' || c.id FROM notice n JOIN notification_channel c ON c.active "
        "AND CASE WHEN n.user_id IS NULL THEN c.agency_id = n.agency_id ELSE c.user_id = n.user_id END")}
    notify = [incident["incident_id"] for incident in incidents if incident["notify_caller"]]
    notified_cases = {case_id for (case_id,) in rows(
        "SELECT case_id FROM incident WHERE external_id = ANY(:ids) AND case_id IS NOT NULL", ids=notify)}
    expected |= {f"closed:{case_id}" for case_id in notified_cases}
    expected |= {f"survey:{task_id}" for (task_id,) in rows(
        "SELECT id FROM task WHERE stage = 'return_visit' AND case_id = ANY(:cases)", cases=sorted(notified_cases))}
    messages = rows("SELECT dedupe_key, status, attempts, last_error FROM outbox")
    assert len(messages) == len(expected) and {key for key, *_ in messages} == expected
    failed = [message for message in messages if (message.status, message.attempts) != ("sent", 1)]
    assert failed == [], failed[:10]
    # The partner and the SMS gateway heard of each message exactly once (no failure made a worker retry).
    delivered = Counter(call["headers"].get("Idempotency-Key") or call["json"]["id"] for call in receiver.calls)
    assert set(delivered) == expected and set(delivered.values()) == {1}
    assert all(receiver.verified(call) for call in receiver.calls if "Idempotency-Key" in call["headers"])

"""The inbox over a generated history answers exactly what a plain reading of every task row answers."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import text

from engine.db import db, utcnow
from engine.demo.generate import generate_history
from engine.org import get_actor
from engine.queries import inbox

USERS = ("sjm-squad", "sjm-duntou", "sjm-police", "pt-dispatcher", "city-dispatcher", "sjm-supervisor",
         "pt-supervisor", "city-supervisor")


@pytest.fixture
def history(demo):
    generate_history(cases=800, seed=5, templates_per_process=2)
    # The shipped diagrams give every task a deadline; a task without one comes last in an inbox.
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE task SET due_at = NULL WHERE status IN ('open', 'claimed') AND id % 3 = 0"))


def _aware(moment):
    if moment is None or (isinstance(moment, datetime) and moment.tzinfo):
        return moment
    moment = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return moment.replace(tzinfo=UTC)


def _expected(actor, view, now, process_id=None, stage=None, category=None) -> list[int]:
    tasks = db.session.execute(text(
        "SELECT t.id, t.status, t.candidate_agency_id, t.claimed_by_id, t.due_at, t.stage, c.process_id, c.category, "
        "a.path FROM task t JOIN case_record c ON c.id = t.case_id LEFT JOIN agency a ON a.id = t.candidate_agency_id"
    )).all()
    found = []
    for task_id, status, agency_id, claimed_by, due_at, task_stage, process, task_category, path in tasks:
        due_at = _aware(due_at)
        if view == "mine":
            keep = claimed_by == actor.id and status == "claimed"
        elif view == "agency":
            keep = agency_id == actor.agency_id and status == "open"
        else:
            mine = path is not None and path.startswith(actor.agency_path) if actor.has_role("supervisor") \
                else agency_id == actor.agency_id
            keep = mine and status in ("open", "claimed") and due_at is not None and due_at < now
        keep = keep and (not process_id or process == process_id) and (not stage or task_stage == stage) and \
            (not category or task_category == category)
        if keep:
            found.append((due_at is None, due_at or now, task_id))
    return [task_id for *_, task_id in sorted(found)]


def test_every_view_of_every_role_matches_a_plain_reading(history):
    now = utcnow() + timedelta(days=4)  # most open work is overdue by then: the overdue views have much to show
    checked = 0
    with time_machine.travel(now, tick=False):
        for username in USERS:
            actor = get_actor(username)
            for view in ("mine", "agency", "overdue"):
                expected = _expected(actor, view, now)
                first, second = inbox(actor=actor, view=view, page_size=5), inbox(actor=actor, view=view, page=2,
                                                                                  page_size=5)
                assert first.total == second.total == len(expected), (username, view)
                assert [t.id for t in first.items + second.items] == expected[:10], (username, view)
                checked += len(expected)
    assert checked > 60  # the history gives the roles something to see


def test_filters_keep_their_meaning(history):
    now = utcnow() + timedelta(days=4)
    actor = get_actor("city-supervisor")
    with time_machine.travel(now, tick=False):
        for filters in ({"process_id": "diversion"}, {"stage": "handling"}, {"category": "noise"},
                        {"process_id": "dispute_funnel", "stage": "mediation"}):
            found = inbox(actor=actor, view="overdue", page_size=100, **filters)
            expected = _expected(actor, "overdue", now, **filters)
            assert [t.id for t in found.items] == expected[:100] and found.total == len(expected), filters

"""`gongzhi demo generate`: a realistic history in bulk whose running cases work like any other."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import text

from engine.cases import fire_due_timers
from engine.db import db, utcnow
from engine.demo.city import grow_city
from engine.demo.generate import SQLITE_MAX_CASES, generate_history
from engine.demo.planner import Places
from engine.demo.simulate import sample_form
from engine.demo.templates import ActingUsers
from engine.errors import InvalidInputError, NotFoundError
from engine.org import candidate_agency
from engine.queries import case_events, get_case
from engine.tasks import claim_task, complete_task
from processes.agency_kinds import AGENCY_KINDS
from processes.forms import load_form

CASES = 300


def rows(sql: str, **params) -> list:
    return db.session.execute(text(sql), params).all()


def scalar(sql: str, **params):
    return db.session.execute(text(sql), params).scalar()


@pytest.fixture
def history(demo):
    """300 cases: 8 played through the engine as templates (2 per process), the rest copied in bulk."""
    seen = []
    result = generate_history(cases=CASES, seed=7, templates_per_process=2, chunk_size=120, on_progress=seen.append)
    return result, seen


def test_the_history_has_the_cases_asked_for_in_every_state(history):
    result, progress = history
    assert scalar("SELECT count(*) FROM case_record") == CASES == result.cases
    assert result.template_cases == 8
    assert sum(progress) == CASES and progress.count(1) >= 8 and max(progress) == 120  # templates, then chunks
    statuses = dict(rows("SELECT status, count(*) FROM case_record GROUP BY status"))
    assert set(statuses) == {"running", "completed", "cancelled"}
    assert statuses["completed"] > statuses["running"] > 0
    processes = {row[0] for row in rows("SELECT DISTINCT process_id FROM case_record")}
    assert processes == {"diversion", "dispute_funnel", "one_window", "sea_land"}
    assert result.rows["case_record"] == CASES - 8 and result.rows["audit_event"] > 10 * (CASES - 8)


def test_cases_lie_in_the_past_year_and_their_times_are_in_order(history):
    now = utcnow()
    first, last = rows("SELECT min(created_at), max(created_at) FROM case_record")[0]
    assert now - timedelta(days=400) < _aware(first) and _aware(last) <= now
    assert not rows("SELECT id FROM case_record WHERE completed_at < created_at OR (status = 'running') <> "
                    "(completed_at IS NULL)")
    assert not rows("SELECT t.id FROM task t JOIN case_record c ON c.id = t.case_id WHERE t.created_at < c.created_at "
                    "OR t.completed_at < t.created_at OR t.claimed_at < t.created_at OR t.overdue_at <= t.due_at")
    assert scalar("SELECT count(*) FROM task WHERE overdue_at IS NOT NULL") > 0  # some work was late


def test_every_running_case_waits_at_a_task_of_the_right_agency_on_its_chain(history):
    running = rows("SELECT id, jurisdiction_path FROM case_record WHERE status = 'running'")
    active = rows("SELECT t.case_id, t.agency_kind, a.kind, a.path, a.cross_area, p.path FROM task t "
                  "JOIN agency a ON a.id = t.candidate_agency_id LEFT JOIN agency p ON p.id = a.parent_id "
                  "WHERE t.status IN ('open', 'claimed')")
    by_case = {}
    for case_id, lane_kind, kind, path, cross_area, parent_path in active:
        by_case.setdefault(case_id, []).append((lane_kind, kind, path, cross_area, parent_path))
    for case_id, location_path in running:
        assert by_case.get(case_id), f"running case {case_id} has no open task"
        for lane_kind, kind, path, cross_area, parent_path in by_case[case_id]:
            assert kind == lane_kind
            assert cross_area or location_path.startswith(path) or location_path.startswith(parent_path)
    claimed = rows("SELECT t.id FROM task t JOIN app_user u ON u.id = t.claimed_by_id "
                   "WHERE t.status = 'claimed' AND u.agency_id <> t.candidate_agency_id AND u.roles NOT LIKE "
                   "'%supervisor%'")
    assert claimed == []
    assert scalar("SELECT count(*) FROM task t JOIN case_record c ON c.id = t.case_id "
                  "WHERE t.status IN ('open', 'claimed') AND c.status <> 'running'") == 0


def test_audit_events_tell_each_case_as_the_engine_would(history):
    assert rows("SELECT case_id FROM audit_event WHERE event = 'case_started' GROUP BY case_id "
                "HAVING count(*) <> 1") == []
    assert scalar("SELECT count(DISTINCT case_id) FROM audit_event WHERE event = 'case_started'") == CASES
    assert scalar("SELECT count(*) FROM task t WHERE t.status = 'completed' AND NOT EXISTS (SELECT 1 "
                  "FROM audit_event e WHERE e.task_id = t.id AND e.event = 'completed')") == 0
    assert scalar("SELECT count(*) FROM task t WHERE NOT EXISTS (SELECT 1 FROM audit_event e WHERE e.task_id = t.id "
                  "AND e.event = 'task_created')") == 0
    assert scalar("SELECT count(*) FROM task t WHERE t.status = 'claimed' AND NOT EXISTS (SELECT 1 FROM audit_event e "
                  "WHERE e.task_id = t.id AND e.event = 'claimed' AND e.actor_id = t.claimed_by_id)") == 0
    assert scalar("SELECT count(*) FROM case_record c WHERE c.status = 'completed' AND NOT EXISTS (SELECT 1 FROM "
                  "audit_event e WHERE e.case_id = c.id AND e.event = 'case_completed')") == 0
    assert scalar("SELECT count(*) FROM task WHERE overdue_at IS NOT NULL") == \
        scalar("SELECT count(*) FROM audit_event WHERE event = 'overdue'")
    # Nothing refers to a row that is not there (PostgreSQL's bulk load skips the FK triggers).
    assert scalar("SELECT count(*) FROM audit_event e LEFT JOIN task t ON t.id = e.task_id "
                  "WHERE e.task_id IS NOT NULL AND t.id IS NULL") == 0
    assert scalar("SELECT count(*) FROM task t LEFT JOIN case_record c ON c.id = t.case_id WHERE c.id IS NULL") == 0
    # The timeline, in id order, is in time order.
    case_id = scalar("SELECT max(id) FROM case_record WHERE status = 'completed'")
    events = case_events(case_id)
    assert events[0].event == "case_started" and events[-1].event in ("case_completed", "overdue", "supervision_sent")
    assert [e.at for e in events] == sorted(e.at for e in events)
    location = get_case(case_id).location
    assert events[0].data["location"] == location
    assert f'"location":"{location}"' in scalar("SELECT state FROM case_record WHERE id = :id", id=case_id)


def test_a_generated_case_waits_where_its_copy_says(history):
    """Each waiting point's open task can be claimed and completed by a user of its agency, as usual."""
    rng = random.Random(1)
    first_bulk = _first_bulk_case(templates=8)
    open_tasks = rows("SELECT t.id, t.bpmn_id, t.form, a.code, c.process_id FROM task t "
                      "JOIN agency a ON a.id = t.candidate_agency_id JOIN case_record c ON c.id = t.case_id "
                      "WHERE t.status IN ('open', 'claimed') AND c.id >= :first ORDER BY t.id", first=first_bulk)
    with db.engine.connect() as conn:
        actors = ActingUsers(conn)
    worked = set()
    for task_id, bpmn_id, form, agency_code, process_id in open_tasks:
        if (process_id, bpmn_id) in worked:
            continue
        worked.add((process_id, bpmn_id))
        username = actors.username_for(agency_code)
        assert claim_task(task_id=task_id, username=username).status == "claimed"
        case = complete_task(task_id=task_id, username=username,
                             data=sample_form(load_form(form), rng) if form else {})
        events = [e.event for e in case_events(case.id)]
        assert events.count("completed") >= 1 and events[-1] in ("task_created", "case_completed", "completed")
        case_path = scalar("SELECT jurisdiction_path FROM case_record WHERE id = :id", id=case.id)
        assert case_path.endswith(f"/{get_case(case.id).location}/")
        for task in case.open_tasks:  # the next agencies are those of the generated case's own location
            kind = scalar("SELECT agency_kind FROM task WHERE id = :id", id=task.id)
            assert task.agency_code == candidate_agency(kind, case_path).code
    assert len(worked) >= 5


def test_the_timer_of_a_generated_case_fires_on_time(demo):
    generate_history(cases=150, seed=11, templates_per_process=2)
    waiting = rows("SELECT id, next_timer_at FROM case_record WHERE status = 'running' AND next_timer_at IS NOT NULL "
                   "AND id >= :first ORDER BY next_timer_at", first=_first_bulk_case(templates=8))
    assert waiting, "no generated case waits on a timer"
    case_id, due = waiting[0]
    due = _aware(due)
    assert due > utcnow()  # a generated timer lies ahead of its case, never in the past
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        assert fire_due_timers(now=utcnow()) >= 1
    case = get_case(case_id)
    assert [t.bpmn_id for t in case.open_tasks] == ["Task_StreetMediation"]  # escalated from the community


def test_generating_again_adds_more_cases(demo):
    generate_history(cases=20, seed=1, templates_per_process=1)
    generate_history(cases=15, seed=2, templates_per_process=1)
    assert scalar("SELECT count(*) FROM case_record") == 35


def test_the_city_grows_a_street_per_five_thousand_cases_and_resolves_agencies_as_the_engine(demo):
    with db.engine.begin() as conn:
        added = grow_city(conn, streets=24, password_hash="x")
        places, actors = Places(conn), ActingUsers(conn)
    assert added > 0 and scalar("SELECT count(*) FROM agency WHERE kind = 'street'") == 24
    # 普陀区 fills up to ten streets, then two new districts take ten and four.
    assert scalar("SELECT count(*) FROM agency WHERE code LIKE 'gen-d%' AND kind = 'district'") == 2
    squad = scalar("SELECT id FROM agency WHERE code = 'gen-d01-s01-squad'")
    assert actors.by_agency[squad][1] == "gen-d01-s01-squad"
    grids = [row[0] for row in rows("SELECT id FROM agency WHERE level = 'grid'")]
    for grid in grids:
        path = scalar("SELECT path FROM agency WHERE id = :id", id=grid)
        for kind in AGENCY_KINDS:
            expected = candidate_agency(kind.code, path)
            found = places.candidate(kind.code, grid)
            assert (found.id if found else None) == (expected.id if expected else None), (kind.code, path)
    slots = Counter(places.location_slots())
    assert len({scalar("SELECT parent_id FROM agency WHERE id = (SELECT parent_id FROM agency WHERE id = :g)", g=g)
                for g in slots}) == 24


def test_bad_counts_and_a_missing_demo_are_refused(app):
    with pytest.raises(InvalidInputError, match="at least 1"):
        generate_history(cases=0)
    with pytest.raises(NotFoundError, match="gongzhi demo load"):
        generate_history(cases=10)
    if app.config["BACKEND"] == "sqlite":
        with pytest.raises(InvalidInputError, match="use PostgreSQL"):
            generate_history(cases=SQLITE_MAX_CASES + 1)
    assert scalar("SELECT count(*) FROM case_record") == 0


def _first_bulk_case(templates: int) -> int:
    """The template cases are played first: the bulk copies come after them."""
    return scalar("SELECT id FROM case_record ORDER BY id LIMIT 1 OFFSET :n", n=templates)


def _aware(moment) -> datetime:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

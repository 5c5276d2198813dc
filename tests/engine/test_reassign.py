"""Reassigning a task to another agency (改派): who may, where to, and what it leaves behind."""

import pytest
from flask import current_app
from sqlalchemy import event, func, select, update

from engine import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    claim_task,
    complete_task,
    reassign_task,
    start_case,
)
from engine.db import db
from engine.models import Agency, AuditEvent, Task, User
from engine.org import get_actor
from engine.queries import get_case, inbox
from tests.steps import race, work

NOISE = {"category": "noise", "location": "sjm-duntou-g1", "description": "噪音"}
HANDLED = {"handling_measures": "上门劝导", "handled_on_site": True}


def street_task() -> int:
    """An open task at Shenjiamen's street squad, on a case the police station started."""
    case = start_case(process_id="diversion", data=NOISE, username="sjm-police")
    case = work(case.open_tasks[0].id, "city-dispatcher", {"city_dispatch_note": "转区级"})
    case = work(case.open_tasks[0].id, "pt-dispatcher", {"district_dispatch_note": "转沈家门"})
    task = case.open_tasks[0]
    assert task.agency_code == "sjm-squad"
    return task.id


def agency_id(code: str) -> int:
    return db.session.scalar(select(Agency.id).where(Agency.code == code))


def user_id(username: str) -> int:
    return db.session.scalar(select(User.id).where(User.username == username))


def task_row(task_id: int) -> tuple:
    db.session.expire_all()
    task = db.session.get(Task, task_id)
    return task.candidate_agency_id, task.status, task.claimed_by_id, task.claimed_at, task.version


def reassignments(task_id: int) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.task_id == task_id,
                                                            AuditEvent.event == "reassigned")))


def test_a_supervisor_reassigns_an_open_task_within_their_area(demo):
    task_id = street_task()
    version = task_row(task_id)[-1]

    view = reassign_task(task_id=task_id, username="sjm-supervisor", agency_code="sjm-office",
                         reason="占道经营归街道办处理")

    assert (view.id, view.agency_code, view.agency_name, view.status, view.claimed_by) == (
        task_id, "sjm-office", "沈家门街道办事处", "open", None)
    assert task_row(task_id) == (agency_id("sjm-office"), "open", None, None, version + 1)
    [reassigned] = reassignments(task_id)
    assert reassigned.data == {"from": "sjm-squad", "to": "sjm-office", "reason": "占道经营归街道办处理"}
    assert (reassigned.actor_id, reassigned.case_id) == (user_id("sjm-supervisor"), view.case_id)
    assert get_case(view.case_id).events[-1].event == "reassigned"
    # The new agency has it in its queue and can take it from there.
    assert [t.id for t in inbox(actor=get_actor("sjm-office"), view="agency").items] == [task_id]
    assert claim_task(task_id=task_id, username="sjm-office").claimed_by == "sjm-office"


def test_a_claimed_task_goes_back_to_the_open_queue_of_its_new_agency(demo):
    task_id = street_task()
    claim_task(task_id=task_id, username="sjm-squad")

    view = reassign_task(task_id=task_id, username="pt-supervisor", agency_code="sjm-office", reason="  转街道办  ")

    assert (view.status, view.claimed_by) == ("open", None)
    assert task_row(task_id)[:4] == (agency_id("sjm-office"), "open", None, None)
    assert reassignments(task_id)[0].data["reason"] == "转街道办"  # trimmed
    with pytest.raises((PermissionDeniedError, NotFoundError)):
        complete_task(task_id=task_id, username="sjm-squad", data=HANDLED)


def test_a_cross_area_agency_is_in_every_supervisors_reach(demo):
    task_id = street_task()
    view = reassign_task(task_id=task_id, username="sjm-supervisor", agency_code="pt-maritime", reason="涉海纠纷")
    assert view.agency_code == "pt-maritime"
    assert reassignments(task_id)[0].data == {"from": "sjm-squad", "to": "pt-maritime", "reason": "涉海纠纷"}


@pytest.mark.parametrize(("username", "error", "message"), [
    ("sjm-squad", PermissionDeniedError, "only a supervisor can reassign"),   # the task's own agency
    ("sjm-police", PermissionDeniedError, "may not act on task"),             # started the case: sees it
    ("admin", PermissionDeniedError, "may not act on task"),                  # sees everything, supervises nothing
    ("dg-supervisor", NotFoundError, "does not exist"),                       # another street: cannot see it
    ("dg-squad", NotFoundError, "does not exist"),
    ("nobody", NotFoundError, "does not exist"),
])
def test_only_a_supervisor_above_the_task_may_reassign_it(demo, username, error, message):
    task_id = street_task()
    before = task_row(task_id)
    with pytest.raises(error, match=message):
        reassign_task(task_id=task_id, username=username, agency_code="sjm-office", reason="转街道办")
    assert task_row(task_id) == before and reassignments(task_id) == []


def test_a_supervisor_who_sees_the_case_may_not_reassign_a_task_above_their_area(demo):
    case = start_case(process_id="diversion", data=NOISE, username="sjm-police")
    city_task = case.open_tasks[0]  # at the city dispatch centre, above Shenjiamen
    with pytest.raises(PermissionDeniedError, match="may not act on task"):
        reassign_task(task_id=city_task.id, username="sjm-supervisor", agency_code="sjm-office", reason="x")
    assert reassign_task(task_id=city_task.id, username="city-supervisor", agency_code="pt-dispatch",
                         reason="直接转区级").agency_code == "pt-dispatch"


@pytest.mark.parametrize(("agency", "reason", "field", "message"), [
    ("sjm-office", "", "reason", "needs a reason"),
    ("sjm-office", "   ", "reason", "needs a reason"),
    ("sjm-office", None, "reason", "needs a reason"),
    ("no-such-agency", "转", "agency", "agency 'no-such-agency' does not exist"),
    ("", "转", "agency", "does not exist"),
    ("sjm-squad", "转", "agency", "already at 沈家门街道联动处置分队"),
])
def test_bad_input_is_refused_with_the_field_to_fix(demo, agency, reason, field, message):
    task_id = street_task()
    before = task_row(task_id)
    with pytest.raises(InvalidInputError, match=message) as refused:
        reassign_task(task_id=task_id, username="sjm-supervisor", agency_code=agency, reason=reason)
    assert set(refused.value.details) == {field}
    assert task_row(task_id) == before and reassignments(task_id) == []


def test_an_agency_outside_the_supervisors_area_is_refused(demo):
    task_id = street_task()
    with pytest.raises(PermissionDeniedError, match=r"东港街道联动处置分队 \(dg-squad\) is outside the area"):
        reassign_task(task_id=task_id, username="sjm-supervisor", agency_code="dg-squad", reason="转东港")
    with pytest.raises(PermissionDeniedError, match="outside the area"):
        reassign_task(task_id=task_id, username="sjm-supervisor", agency_code="pt-dispatch", reason="上交区级")
    assert reassignments(task_id) == []
    # The district supervisor's area holds both streets.
    assert reassign_task(task_id=task_id, username="pt-supervisor", agency_code="dg-squad",
                         reason="实际发生在东港").agency_code == "dg-squad"


def test_a_closed_task_cannot_be_reassigned(demo):
    task_id = street_task()
    work(task_id, "sjm-squad", HANDLED)
    before = task_row(task_id)
    with pytest.raises(ConflictError, match=f"task {task_id} is already completed"):
        reassign_task(task_id=task_id, username="sjm-supervisor", agency_code="sjm-office", reason="转街道办")
    assert task_row(task_id) == before and reassignments(task_id) == []


@pytest.fixture
def just_before_updating_the_task():
    """Run a change on another connection right before a command's UPDATE of a task row, once."""
    pending: list = []

    def before_execute(conn, cursor, statement, parameters, context, executemany):
        if pending and statement.lstrip().upper().startswith("UPDATE TASK "):
            change = pending.pop()
            with db.engine.begin() as other:
                other.execute(change)

    event.listen(db.engine, "before_cursor_execute", before_execute)
    yield pending.append
    event.remove(db.engine, "before_cursor_execute", before_execute)


def test_a_claim_saved_while_a_reassignment_runs_wins(demo, just_before_updating_the_task):
    task_id = street_task()
    squad = user_id("sjm-squad")
    just_before_updating_the_task(update(Task).where(Task.id == task_id).values(
        status="claimed", claimed_by_id=squad, claimed_at=func.now(), version=Task.version + 1))

    with pytest.raises(ConflictError, match="someone else changed this case or task"):
        reassign_task(task_id=task_id, username="sjm-supervisor", agency_code="sjm-office", reason="转街道办")
    assert task_row(task_id)[:3] == (agency_id("sjm-squad"), "claimed", squad)
    assert reassignments(task_id) == []


def test_a_reassignment_saved_while_a_claim_runs_wins(demo, just_before_updating_the_task):
    task_id = street_task()
    office = agency_id("sjm-office")
    just_before_updating_the_task(update(Task).where(Task.id == task_id).values(
        candidate_agency_id=office, version=Task.version + 1))

    with pytest.raises(ConflictError, match="someone else changed this case or task"):
        claim_task(task_id=task_id, username="sjm-squad")
    assert task_row(task_id)[:3] == (office, "open", None)


def test_concurrent_reassign_and_claim_never_lose_an_update(demo):
    app = current_app._get_current_object()
    squad, office = agency_id("sjm-squad"), agency_id("sjm-office")
    for _ in range(4):
        task_id = street_task()
        db.session.remove()
        claimed, reassigned = race(app, [
            lambda t=task_id: claim_task(task_id=t, username="sjm-squad"),
            lambda t=task_id: reassign_task(task_id=t, username="sjm-supervisor", agency_code="sjm-office",
                                            reason="转街道办"),
        ])
        failures = [r for r in (claimed, reassigned) if isinstance(r, Exception)]
        assert len(failures) <= 1, (claimed, reassigned)
        # The loser either collided (409) or came second and found the task gone from the squad.
        assert all(isinstance(f, (ConflictError, PermissionDeniedError, NotFoundError)) for f in failures), failures
        row = task_row(task_id)
        if isinstance(reassigned, Exception):
            assert isinstance(reassigned, ConflictError)
            assert row[:3] == (squad, "claimed", user_id("sjm-squad"))
        else:  # whatever the order, the claim did not undo the move: the task is open at the office
            assert row[:3] == (office, "open", None)
        events = {name: db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.task_id == task_id, AuditEvent.event == name)) for name in ("claimed", "reassigned")}
        assert events == {"claimed": int(not isinstance(claimed, Exception)),
                          "reassigned": int(not isinstance(reassigned, Exception))}

"""Task extensions (延期): who may ask, who may decide, and what an approval changes."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import current_app
from sqlalchemy import insert, select, update

from engine import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    claim_task,
    decide_extension,
    get_extension,
    list_extensions,
    request_extension,
    start_case,
)
from engine.db import db
from engine.models import Agency, AuditEvent, SupervisionStep, Task
from engine.org import get_actor
from tests.steps import race, work

NOISE = {"category": "noise", "location": "sjm-duntou-g1", "description": "噪音"}
HANDLED = {"handling_measures": "上门劝导", "handled_on_site": True}
# A Wednesday in Shanghai, far from any holiday: the street squad's task (24 hours) is due on Thursday.
T0 = datetime(2025, 6, 4, 2, 0, tzinfo=UTC)
DUE = T0 + timedelta(hours=24)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def street_task() -> int:
    """An open task at Shenjiamen's street squad (parent agency: Shenjiamen street), due in 24 hours."""
    case = start_case(process_id="diversion", data=NOISE, username="sjm-police")
    case = work(case.open_tasks[0].id, "city-dispatcher", {"city_dispatch_note": "转区级"})
    case = work(case.open_tasks[0].id, "pt-dispatcher", {"district_dispatch_note": "转沈家门"})
    task = case.open_tasks[0]
    assert (task.agency_code, task.due_at) == ("sjm-squad", DUE)
    return task.id


def task_row(task_id: int) -> Task:
    db.session.expire_all()
    return db.session.get(Task, task_id)


def events(task_id: int, prefix: str = "extension_") -> list[AuditEvent]:
    db.session.expire_all()
    return [event for event in db.session.scalars(select(AuditEvent).where(AuditEvent.task_id == task_id)
                                                  .order_by(AuditEvent.id)) if event.event.startswith(prefix)]


def ask(task_id: int, username: str = "sjm-squad", **kwargs):
    return request_extension(task_id=task_id, username=username, **{"reason": "当事人外出，需等待", **kwargs})


def test_a_request_approved_above_moves_the_deadline(demo, clock):
    task_id = street_task()
    version = task_row(task_id).version

    asked = ask(task_id, extra="2 working days")

    # Thursday 10:00 in Shanghai, two working days on: Monday 10:00.
    monday = datetime(2025, 6, 9, 2, 0, tzinfo=UTC)
    assert (asked.task_id, asked.status, asked.requested_by, asked.previous_due_at, asked.requested_due_at) == (
        task_id, "pending", "sjm-squad", DUE, monday)
    assert (asked.decider_agency_code, asked.agency_code, asked.reason) == (
        "shenjiamen", "sjm-squad", "当事人外出，需等待")
    assert task_row(task_id).due_at == DUE  # nothing moves before a decision

    clock.shift(timedelta(hours=1))
    approved = decide_extension(extension_id=asked.id, username="sjm-supervisor", approve=True, note=" 同意 ")

    assert (approved.status, approved.decided_by, approved.decision_note) == ("approved", "sjm-supervisor", "同意")
    assert approved.decided_at == T0 + timedelta(hours=1)
    task = task_row(task_id)
    assert (task.due_at, task.overdue_at, task.deadline, task.version) == (monday, None, None, version + 1)
    requested, decided = events(task_id)
    assert (requested.event, requested.data) == ("extension_requested", {
        "extension_id": asked.id, "reason": "当事人外出，需等待", "from": DUE.isoformat(), "to": monday.isoformat()})
    assert (decided.event, decided.data) == ("extension_approved", {
        "extension_id": asked.id, "note": "同意", "from": DUE.isoformat(), "to": monday.isoformat()})
    assert decided.actor_id == get_actor("sjm-supervisor").id
    # The task goes on as before, with its new deadline.
    assert claim_task(task_id=task_id, username="sjm-squad").due_at == monday


def test_a_refusal_keeps_the_deadline(demo, clock):
    task_id = street_task()
    asked = ask(task_id, until=DUE + timedelta(days=3))

    refused = decide_extension(extension_id=asked.id, username="pt-supervisor", approve=False, note="请按期办结")

    assert (refused.status, refused.decided_by, refused.decision_note) == ("refused", "pt-supervisor", "请按期办结")
    assert task_row(task_id).due_at == DUE
    assert [event.event for event in events(task_id)] == ["extension_requested", "extension_refused"]
    assert events(task_id)[-1].data == {"extension_id": asked.id, "note": "请按期办结"}
    # A refused request does not block the next one.
    assert ask(task_id, extra="4 hours").requested_due_at == DUE + timedelta(hours=4)


def test_approving_after_a_breach_clears_it_and_cancels_pending_supervision(demo, clock):
    task_id = street_task()
    clock.shift(timedelta(hours=30))  # six hours late
    breached = T0 + timedelta(hours=25)
    db.session.execute(update(Task).where(Task.id == task_id).values(overdue_at=breached))
    case_id = task_row(task_id).case_id
    steps = [{"task_id": task_id, "case_id": case_id, "step": step, "targets": "agency", "breached_due_at": DUE,
              "send_at": DUE + timedelta(hours=hours), "status": status}
             for step, hours, status in (("remind", 1, "sent"), ("escalate", 8, "pending"), ("notice", 24, "pending"))]
    if "kind" in SupervisionStep.__table__.c:  # the SLA monitor's column, added beside this work
        steps = [{**step, "kind": "supervision"} for step in steps]
    db.session.execute(insert(SupervisionStep), steps)
    db.session.commit()

    asked = ask(task_id, extra="2 days")
    decide_extension(extension_id=asked.id, username="sjm-supervisor", approve=True, note=None)

    task = task_row(task_id)
    assert (task.due_at, task.overdue_at) == (DUE + timedelta(days=2), None)
    db.session.expire_all()
    assert {s.step: s.status for s in db.session.scalars(select(SupervisionStep))} == {
        "remind": "sent", "escalate": "cancelled", "notice": "cancelled"}


@pytest.mark.parametrize(("username", "error", "message"), [
    ("dg-squad", NotFoundError, "does not exist"),              # staff of another agency
    ("dg-supervisor", NotFoundError, "does not exist"),         # supervisor of a sibling street
    ("nobody", NotFoundError, "does not exist"),
    ("sjm-office", NotFoundError, "does not exist"),            # a sibling agency with nothing on the case
    ("sjm-police", PermissionDeniedError, "may not act on task"),  # started the case: sees it
])
def test_only_those_who_may_act_on_the_task_ask(demo, clock, username, error, message):
    task_id = street_task()
    with pytest.raises(error, match=message):
        ask(task_id, username=username, extra="1 days")
    assert events(task_id) == []


@pytest.mark.parametrize(("username", "error", "message"), [
    ("sjm-squad", PermissionDeniedError, "only a supervisor of 沈家门街道 or above"),  # staff asking cannot approve
    ("sjm-police", PermissionDeniedError, "only a supervisor"),
    ("admin", PermissionDeniedError, "only a supervisor"),
    ("dg-supervisor", NotFoundError, "does not exist"),   # supervisor of a sibling street
    ("dg-squad", NotFoundError, "does not exist"),
    ("nobody", NotFoundError, "does not exist"),
])
def test_only_a_supervisor_above_decides(demo, clock, username, error, message):
    task_id = street_task()
    asked = ask(task_id, extra="1 days")
    for approve in (True, False):
        with pytest.raises(error, match=message):
            decide_extension(extension_id=asked.id, username=username, approve=approve, note="x")
    assert task_row(task_id).due_at == DUE and len(events(task_id)) == 1
    # Supervisors further up decide too: the city above the district above the street.
    assert decide_extension(extension_id=asked.id, username="city-supervisor", approve=True,
                            note=None).status == "approved"


def test_a_supervisor_does_not_decide_their_own_request(demo, clock):
    task_id = street_task()
    asked = ask(task_id, username="pt-supervisor", extra="1 days")  # may act on the task: it is in their area
    assert asked.decider_agency_code == "shenjiamen"
    with pytest.raises(PermissionDeniedError, match="your own request"):
        decide_extension(extension_id=asked.id, username="pt-supervisor", approve=True, note=None)
    assert decide_extension(extension_id=asked.id, username="sjm-supervisor", approve=True, note=None).status == \
        "approved"


def test_a_supervisor_below_the_deciding_agency_does_not_decide(demo, clock):
    case = start_case(process_id="diversion", data=NOISE, username="sjm-police")
    case = work(case.open_tasks[0].id, "city-dispatcher", {"city_dispatch_note": "转区级"})
    district_task = case.open_tasks[0]  # at pt-dispatch, whose parent is the Putuo district
    asked = ask(district_task.id, username="pt-dispatcher", extra="30 minutes")
    assert asked.decider_agency_code == "putuo"
    with pytest.raises(PermissionDeniedError, match="only a supervisor of 普陀区 or above it"):  # sees the case
        decide_extension(extension_id=asked.id, username="sjm-supervisor", approve=True, note=None)
    assert decide_extension(extension_id=asked.id, username="pt-supervisor", approve=True, note=None).status == \
        "approved"


def test_nobody_is_above_the_top_agency(demo, clock):
    case = start_case(process_id="diversion", data=NOISE, username="sjm-police")
    city_task = case.open_tasks[0].id
    # Put the task at the city itself, the root of the tree.
    db.session.execute(update(Task).where(Task.id == city_task).values(
        candidate_agency_id=select(Agency.id).where(Agency.code == "zhoushan").scalar_subquery()))
    db.session.commit()
    with pytest.raises(InvalidInputError, match="舟山市, with nobody above it"):
        ask(city_task, username="city-supervisor", extra="1 hours")


@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"reason": "", "extra": "1 days"}, "reason", "needs a reason"),
    ({"reason": "   ", "extra": "1 days"}, "reason", "needs a reason"),
    ({"reason": None, "extra": "1 days"}, "reason", "needs a reason"),
    ({}, "until", "exactly one of until"),
    ({"extra": "1 days", "until": DUE + timedelta(days=1)}, "until", "exactly one of until"),
    ({"extra": "soon"}, "extra", "not understood"),
    ({"extra": "0 days"}, "extra", "not understood"),
    ({"extra": "400 working days"}, "extra", "too long"),
    ({"extra": "9999999999 days"}, "extra", "too long"),
    ({"until": DUE}, "until", "later than the current one"),
    ({"until": DUE - timedelta(hours=1)}, "until", "later than the current one"),
    ({"until": DUE.replace(tzinfo=None) + timedelta(days=1)}, "until", "needs a UTC offset"),
    ({"until": DUE + timedelta(days=400)}, "until", "at most 366 days"),
])
def test_bad_input_is_refused_with_the_field_to_fix(demo, clock, kwargs, field, message):
    task_id = street_task()
    with pytest.raises(InvalidInputError, match=message) as refused:
        request_extension(task_id=task_id, username="sjm-squad", **{"reason": "等待", **kwargs})
    assert field in refused.value.details
    assert events(task_id) == [] and task_row(task_id).due_at == DUE


def test_a_new_deadline_already_past_is_refused(demo, clock):
    task_id = street_task()
    clock.shift(timedelta(days=3))
    with pytest.raises(InvalidInputError, match="already passed"):
        ask(task_id, extra="4 hours")
    with pytest.raises(InvalidInputError, match="already passed"):
        ask(task_id, until=DUE + timedelta(days=1))
    assert ask(task_id, until=T0 + timedelta(days=4)).status == "pending"


def test_a_task_without_a_deadline_cannot_be_extended(demo, clock):
    task_id = street_task()
    db.session.execute(update(Task).where(Task.id == task_id).values(due_at=None))
    db.session.commit()
    with pytest.raises(InvalidInputError, match="has no deadline"):
        ask(task_id, extra="1 days")


def test_one_pending_request_per_task_and_one_decision_per_request(demo, clock):
    task_id = street_task()
    asked = ask(task_id, extra="1 days")
    with pytest.raises(ConflictError, match="already has an extension request"):
        ask(task_id, extra="2 days")
    decide_extension(extension_id=asked.id, username="sjm-supervisor", approve=True, note=None)
    for approve in (True, False):
        with pytest.raises(ConflictError, match="already approved"):
            decide_extension(extension_id=asked.id, username="pt-supervisor", approve=approve, note="再议")
    assert [event.event for event in events(task_id)] == ["extension_requested", "extension_approved"]
    # Decided, the task may ask again, from its new deadline.
    assert ask(task_id, extra="1 days").previous_due_at == DUE + timedelta(days=1)


def test_a_refusal_needs_a_note_and_unknown_ids_are_not_found(demo, clock):
    task_id = street_task()
    asked = ask(task_id, extra="1 days")
    for note in (None, "", "  "):
        with pytest.raises(InvalidInputError, match="needs a note") as refused:
            decide_extension(extension_id=asked.id, username="sjm-supervisor", approve=False, note=note)
        assert refused.value.details == {"note": ["required"]}
    with pytest.raises(NotFoundError, match="extension 999999 does not exist"):
        decide_extension(extension_id=999999, username="sjm-supervisor", approve=True, note=None)
    with pytest.raises(NotFoundError, match="task 999999 does not exist"):
        ask(999999, extra="1 days")
    with pytest.raises(NotFoundError, match="extension 999999"):
        get_extension(999999, get_actor("sjm-supervisor"))


def test_a_closed_task_cannot_be_extended(demo, clock):
    task_id = street_task()
    asked = ask(task_id, extra="1 days")
    work(task_id, "sjm-squad", HANDLED)
    with pytest.raises(ConflictError, match="already completed"):
        decide_extension(extension_id=asked.id, username="sjm-supervisor", approve=True, note=None)
    # Refusing what no longer matters is fine; asking again is not.
    assert decide_extension(extension_id=asked.id, username="sjm-supervisor", approve=False,
                            note="任务已办结").status == "refused"
    with pytest.raises(ConflictError, match="already completed"):
        ask(task_id, extra="1 days")


def test_a_claim_between_request_and_decision_does_not_matter(demo, clock):
    task_id = street_task()
    asked = ask(task_id, extra="1 days")
    claim_task(task_id=task_id, username="sjm-squad")  # a new task version: the decision reads the task afresh
    assert decide_extension(extension_id=asked.id, username="sjm-supervisor", approve=True, note=None).status == \
        "approved"


def test_who_sees_which_requests(demo, clock):
    squad_task, other_task = street_task(), street_task()
    first = ask(squad_task, extra="1 days")
    second = ask(other_task, extra="2 days")
    decide_extension(extension_id=first.id, username="sjm-supervisor", approve=False, note="不同意")

    def ids(username, **kwargs):
        return [view.id for view in list_extensions(actor=get_actor(username), **kwargs).items]

    assert ids("sjm-supervisor") == [second.id, first.id]
    assert ids("sjm-supervisor", status="pending") == [second.id]
    assert ids("pt-supervisor", status="refused") == [first.id]
    assert ids("city-supervisor") == [second.id, first.id]
    assert ids("sjm-squad") == [second.id, first.id]
    assert ids("dg-supervisor") == ids("dg-squad") == ids("sjm-office") == []
    assert ids("admin") == [second.id, first.id]
    page = list_extensions(actor=get_actor("sjm-supervisor"), page=2, page_size=1)
    assert (page.total, [view.id for view in page.items]) == (2, [first.id])
    with pytest.raises(InvalidInputError, match="unknown extension status"):
        list_extensions(actor=get_actor("sjm-supervisor"), status="lost")

    assert get_extension(first.id, get_actor("sjm-police")).status == "refused"  # sees the case
    with pytest.raises(NotFoundError):
        get_extension(first.id, get_actor("dg-supervisor"))


def test_racing_requests_and_decisions_leave_one_winner(demo, clock):
    app = current_app._get_current_object()
    task_id = street_task()
    db.session.remove()
    asked = race(app, [lambda: ask(task_id, extra="1 days"), lambda: ask(task_id, extra="2 days")])
    assert sorted(type(result).__name__ for result in asked) == ["ConflictError", "ExtensionView"], asked
    [winner] = [result for result in asked if not isinstance(result, Exception)]
    decided = race(app, [
        lambda: decide_extension(extension_id=winner.id, username="sjm-supervisor", approve=True, note=None),
        lambda: decide_extension(extension_id=winner.id, username="pt-supervisor", approve=False, note="不同意"),
    ])
    assert sorted(type(result).__name__ for result in decided) == ["ConflictError", "ExtensionView"], decided
    [outcome] = [result.status for result in decided if not isinstance(result, Exception)]
    assert [event.event for event in events(task_id)] == ["extension_requested", f"extension_{outcome}"]
    assert task_row(task_id).due_at == (winner.requested_due_at if outcome == "approved" else DUE)

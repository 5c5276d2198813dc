"""The supervisors' SLA board, its drill-down, and the supervision notices (督办通知) they send by hand."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from engine import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    complete_task,
    reassign_task,
    start_case,
)
from engine.calendar_import import import_year
from engine.channels import add_channel
from engine.db import db
from engine.models import AuditEvent, Notice, OutboxMessage
from engine.notices import list_notices, mark_notice_read
from engine.org import get_actor
from engine.sla import mark_breaches
from engine.sla_board import OnTime, board_tasks, sla_board
from engine.supervision_notices import list_sent_notices, send_supervision_notice
from tests.steps import work

WALL = {"category": "property_damage", "location": "sjm-duntou-g1", "description": "墙体被撞裂，双方争执"}
START = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # Monday 09:00 in Zhoushan
CITY, DISTRICT = {"city_dispatch_note": "转区分流"}, {"district_dispatch_note": "下派街道"}


def city_task():
    """A new case: its first task is the city dispatch's (市级分流, 30 minutes)."""
    return start_case(process_id="diversion", data=WALL, username="sjm-police").open_tasks[0]


def district_task():
    return work(city_task().id, "city-dispatcher", CITY).open_tasks[0]


def street_task():
    """A case dispatched down to Shenjiamen's street squad (现场处置, 24 hours)."""
    return work(district_task().id, "pt-dispatcher", DISTRICT).open_tasks[0]


@pytest.fixture
def clock(demo):
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def at_risk(clock):
    """At 08:00 the next day: the city and district dispatches are overdue, the street squad's task due soon."""
    tasks = {"city": city_task(), "district": district_task(), "street": street_task()}
    clock.move_to(START + timedelta(hours=23))
    assert mark_breaches(now=datetime.now(UTC)) == 2
    return tasks


def board(username: str, **kwargs):
    return sla_board(actor=get_actor(username), now=datetime.now(UTC), **kwargs)


def counts(rows) -> dict[str, tuple[int, int]]:
    return {row.code: (row.overdue, row.due_soon) for row in rows}


def test_the_board_counts_overdue_and_due_soon_work_by_tier_and_agency_of_the_supervisors_area(at_risk):
    city = board("city-supervisor")
    assert counts(city.tiers) == {"city": (1, 0), "district": (1, 0), "street": (0, 1)}
    assert counts(city.agencies) == {"zs-dispatch": (1, 0), "pt-dispatch": (1, 0), "sjm-squad": (0, 1)}
    assert (city.overdue, city.due_soon) == (2, 1)

    district = board("pt-supervisor")
    assert counts(district.tiers) == {"district": (1, 0), "street": (0, 1)}  # the city is above it
    assert counts(board("sjm-supervisor").tiers) == {"street": (0, 1)}
    assert board("dg-supervisor").agencies == []
    # A narrower horizon leaves the squad's task (due in an hour) out.
    assert board("sjm-supervisor", due_soon_hours=0).due_soon == 0


def test_a_deadline_passed_but_not_yet_marked_by_the_monitor_already_counts_as_overdue(clock):
    task = city_task()
    clock.move_to(task.due_at + timedelta(minutes=1))
    assert counts(board("city-supervisor").agencies) == {"zs-dispatch": (1, 0)}


def test_only_supervisors_get_the_board(at_risk):
    with pytest.raises(PermissionDeniedError):
        board("sjm-squad")
    with pytest.raises(PermissionDeniedError):
        board_tasks(actor=get_actor("sjm-squad"), now=datetime.now(UTC))


def test_the_drill_down_lists_the_tasks_behind_each_count(at_risk):
    actor, now = get_actor("city-supervisor"), datetime.now(UTC)
    overdue = board_tasks(actor=actor, now=now, state="overdue")
    assert [task.id for task in overdue.items] == [at_risk["city"].id, at_risk["district"].id]
    assert overdue.total == 2 and {task.state for task in overdue.items} == {"overdue"}
    [soon] = board_tasks(actor=actor, now=now, tier="street").items
    assert (soon.id, soon.state, soon.agency_code, soon.tier) == (at_risk["street"].id, "due_soon", "sjm-squad",
                                                                  "street")
    assert soon.case_title
    assert board_tasks(actor=actor, now=now, agency_code="sjm-squad", state="overdue").total == 0
    assert board_tasks(actor=actor, now=now, page=2, page_size=2).items[0].id == at_risk["street"].id

    with pytest.raises(NotFoundError):  # above the district supervisor's area
        board_tasks(actor=get_actor("pt-supervisor"), now=now, agency_code="zs-dispatch")
    with pytest.raises(InvalidInputError):
        board_tasks(actor=actor, now=now, tier="province")
    with pytest.raises(InvalidInputError):
        board_tasks(actor=actor, now=now, state="late")


def test_the_on_time_figures_count_the_tasks_completed_in_the_last_30_days(clock):
    on_time = city_task()
    complete_task(task_id=on_time.id, username="city-dispatcher", data=CITY)
    late = city_task()
    clock.move_to(late.due_at + timedelta(hours=1))
    complete_task(task_id=late.id, username="city-dispatcher", data=CITY)
    figures = board("city-supervisor").on_time
    assert figures == OnTime(30, 2, 1, 1) and figures.rate == 0.5
    assert board("sjm-supervisor").on_time.rate is None  # nothing closed there
    clock.move_to(START + timedelta(days=31))
    assert board("city-supervisor").on_time.closed == 0


def test_the_board_names_this_year_or_next_when_it_has_no_working_day_schedule(clock):
    assert board("sjm-supervisor").calendar_gaps == [2027]  # the demo loads 2004–2026
    import_year(schedule={"year": 2027, "holidays": {"2027-01-01": "元旦"}, "workdays": {}})
    assert board("sjm-supervisor").calendar_gaps == []


def test_a_supervisor_above_sends_a_supervision_notice_to_the_tasks_agency(at_risk):
    add_channel(kind="webhook", address="https://partner.example/hook", secret="s" * 16, agency_code="sjm-squad")
    task = at_risk["street"]
    sent = send_supervision_notice(task_id=task.id, username="sjm-supervisor", message="  请今日内办结并反馈  ")
    assert (sent.kind, sent.agency_code, sent.sent_by, sent.task_id, sent.case_id) == (
        "supervision", "sjm-squad", "sjm-supervisor", task.id, task.case_id)
    assert sent.message.startswith("【督办通知】沈家门街道督办") and sent.message.endswith("：请今日内办结并反馈")
    assert sent.read_at is None and sent.task_name == task.name
    notice = db.session.get(Notice, sent.id)
    assert notice.user_id is None and notice.sent_by_id == get_actor("sjm-supervisor").id
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.event == "supervision_notice")).all()
    assert (event.task_id, event.data) == (task.id, {"notice_id": sent.id, "to": "sjm-squad",
                                                     "message": "请今日内办结并反馈"})
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.payload["notice_id"] == sent.id  # the squad's webhook hears of it

    # The squad reads it among its notices; the supervisors of the area track it.
    squad = list_notices(actor=get_actor("sjm-squad"))
    assert [item["id"] for item in squad.items] == [sent.id]
    for supervisor in ("sjm-supervisor", "pt-supervisor", "city-supervisor"):
        assert [item.id for item in list_sent_notices(actor=get_actor(supervisor)).items] == [sent.id]
    assert list_sent_notices(actor=get_actor("dg-supervisor")).total == 0
    mark_notice_read(notice_id=sent.id, username="sjm-squad")
    tracked = list_sent_notices(actor=get_actor("sjm-supervisor"))
    assert tracked.items[0].read_at is not None
    assert list_sent_notices(actor=get_actor("sjm-supervisor"), unread=True).total == 0
    with pytest.raises(PermissionDeniedError):
        list_sent_notices(actor=get_actor("sjm-squad"))


def test_who_may_send_a_supervision_notice_and_what_it_must_say(at_risk):
    task = at_risk["street"]
    with pytest.raises(PermissionDeniedError):  # staff of the agency itself
        send_supervision_notice(task_id=task.id, username="sjm-squad", message="快办")
    with pytest.raises(NotFoundError):  # a supervisor of another street cannot even see it
        send_supervision_notice(task_id=task.id, username="dg-supervisor", message="快办")
    with pytest.raises(NotFoundError):
        send_supervision_notice(task_id=424242, username="sjm-supervisor", message="快办")
    for message, problem in (("   ", "required"), ("催" * 501, "at most 500 characters"),
                             ("a\x00b", "control characters are not allowed")):
        with pytest.raises(InvalidInputError) as error:
            send_supervision_notice(task_id=task.id, username="sjm-supervisor", message=message)
        assert error.value.details == {"message": [problem]}
    assert send_supervision_notice(task_id=task.id, username="pt-supervisor", message="催" * 500).agency_code == \
        "sjm-squad"  # from further up too

    # At their own agency a supervisor acts instead of urging.
    reassign_task(task_id=task.id, username="pt-supervisor", agency_code="shenjiamen", reason="街道直接办理")
    with pytest.raises(PermissionDeniedError):
        send_supervision_notice(task_id=task.id, username="sjm-supervisor", message="快办")

    closed = at_risk["city"]
    complete_task(task_id=closed.id, username="city-dispatcher", data=CITY)
    with pytest.raises(ConflictError):
        send_supervision_notice(task_id=closed.id, username="city-supervisor", message="快办")
    assert db.session.scalars(select(Notice).where(Notice.sent_by_id.is_not(None))).all() != []

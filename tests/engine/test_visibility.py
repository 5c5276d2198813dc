"""Who sees which cases and tasks, and the inbox and case-list queries built on it."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from engine import NotFoundError, claim_task, start_case
from engine.org import get_actor
from engine.progress import case_progress
from engine.queries import get_case, get_task, inbox, list_cases
from tests.steps import work

NOISE = {"category": "noise", "location": "sjm-duntou-g1", "description": "噪音"}
MONDAY = datetime(2026, 5, 11, 1, 0, tzinfo=UTC)


def test_a_case_is_visible_to_agencies_with_tasks_on_it_and_supervisors_above(demo):
    case = start_case(process_id="diversion", data=NOISE, username="sjm-duntou-g1")
    work(case.open_tasks[0].id, "city-dispatcher", {"city_dispatch_note": "转区级"})
    for username in ("city-dispatcher", "pt-dispatcher", "sjm-duntou-g1", "pt-supervisor", "city-supervisor",
                     "sjm-supervisor", "admin"):
        assert get_case(case.id, actor=get_actor(username)).id == case.id, username
    for username in ("dg-squad", "sjm-squad", "dg-supervisor", "pt-clerk"):
        with pytest.raises(NotFoundError):
            get_case(case.id, actor=get_actor(username))
        with pytest.raises(NotFoundError):
            get_task(case.open_tasks[0].id, actor=get_actor(username))


def test_case_list_shows_only_visible_cases_with_filters_and_pages(demo):
    for index in range(3):
        start_case(process_id="diversion", data={**NOISE, "description": f"噪音{index}"})
    start_case(process_id="diversion", data={**NOISE, "location": "dg-puxi-g1"})
    start_case(process_id="dispute_funnel", data={"source": "police", "location": "sjm-duntou-g1",
                                                  "parties": ["甲", "乙"], "summary": "邻里纠纷"})
    city = get_actor("city-dispatcher")
    page = list_cases(actor=city, process_id="diversion", page=1, page_size=2)
    assert (page.total, len(page.items)) == (4, 2)
    assert [c.id for c in page.items] == sorted((c.id for c in page.items), reverse=True)
    second = list_cases(actor=city, process_id="diversion", page=2, page_size=2)
    assert {c.id for c in page.items}.isdisjoint(c.id for c in second.items)
    assert list_cases(actor=get_actor("dg-supervisor")).total == 1  # the Donggang case, in their area
    assert list_cases(actor=get_actor("sjm-squad")).total == 0
    assert list_cases(actor=city, agency_code="zs-dispatch", status="running").total == 4


def test_inbox_views(demo):
    with time_machine.travel(MONDAY, tick=False) as clock:
        first = start_case(process_id="diversion", data=NOISE).open_tasks[0]
        second = start_case(process_id="diversion", data=NOISE).open_tasks[0]
        claim_task(task_id=first.id, username="city-dispatcher")
        city = get_actor("city-dispatcher")
        assert [t.id for t in inbox(actor=city, view="mine").items] == [first.id]
        assert [t.id for t in inbox(actor=city, view="agency").items] == [second.id]
        assert inbox(actor=city, view="overdue").total == 0
        clock.shift(timedelta(minutes=31))
        assert {t.id for t in inbox(actor=city, view="overdue").items} == {first.id, second.id}
        assert inbox(actor=get_actor("city-supervisor"), view="overdue").total == 2
        assert inbox(actor=get_actor("pt-supervisor"), view="overdue").total == 0


def test_progress_marks_done_active_and_overdue_elements(demo):
    with time_machine.travel(MONDAY, tick=False) as clock:
        case = start_case(process_id="diversion", data=NOISE)
        work(case.open_tasks[0].id, "city-dispatcher", {"city_dispatch_note": "转区级"})
        clock.shift(timedelta(hours=1))
        progress = case_progress(case.id, actor=get_actor("pt-dispatcher"))
    assert "Task_CityDispatch" in progress.completed
    assert progress.active == ["Task_DistrictDispatch"]
    assert progress.overdue == ["Task_DistrictDispatch"]
    with pytest.raises(NotFoundError):
        case_progress(case.id, actor=get_actor("dg-squad"))

"""GET /api/v1/notices and POST /api/v1/notices/{id}/read: the SLA monitor's notices reach their readers."""

from datetime import UTC, datetime, timedelta

import time_machine

from engine.sla import mark_breaches, send_due_supervision
from tests.steps import work
from tests.web.api_client import as_user

WALL = {"category": "property_damage", "location": "sjm-duntou-g1", "description": "墙体被撞裂，双方争执"}
START = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)


def late_street_task(app):
    """A referral the squad claimed and let pass its deadline; the monitor has sent the reminders."""
    with time_machine.travel(START, tick=False) as clock:
        squad = as_user(app, "sjm-police")
        case = squad.post("/cases", json={"process_id": "diversion", "data": WALL}).get_json()
        case = work(case["open_tasks"][0]["id"], "city-dispatcher", {"city_dispatch_note": "转区分流"})
        case = work(case.open_tasks[0].id, "pt-dispatcher", {"district_dispatch_note": "下派街道"})
        task = case.open_tasks[0]
        as_user(app, "sjm-squad").post(f"/tasks/{task.id}/claim")
        clock.move_to(task.due_at + timedelta(hours=5))
        mark_breaches(now=datetime.now(UTC))
        send_due_supervision(now=datetime.now(UTC))
    return task


def test_the_squad_and_the_street_read_their_notices_and_mark_them_read(app, demo):
    task = late_street_task(app)
    squad = as_user(app, "sjm-squad")
    page = squad.get("/notices").get_json()
    assert [(n["kind"], n["task_id"], n["user_id"] is not None) for n in page["items"]] == [
        ("reminder", task.id, False), ("reminder", task.id, True)]
    assert "超时提醒" in page["items"][0]["message"]

    street = as_user(app, "sjm-supervisor").get("/notices?unread=true").get_json()
    assert [n["kind"] for n in street["items"]] == ["supervision"]
    notice_id = street["items"][0]["id"]
    read = as_user(app, "sjm-supervisor").post(f"/notices/{notice_id}/read")
    assert read.status_code == 200 and read.get_json()["read_at"]
    again = as_user(app, "sjm-supervisor").post(f"/notices/{notice_id}/read").get_json()
    assert again["read_at"] == read.get_json()["read_at"]
    assert as_user(app, "sjm-supervisor").get("/notices?unread=true").get_json()["total"] == 0


def test_a_notice_to_one_user_is_not_shown_to_their_colleagues_nor_readable_by_others(app, demo):
    late_street_task(app)
    mine = [n for n in as_user(app, "sjm-squad").get("/notices").get_json()["items"] if n["user_id"]]
    assert len(mine) == 1
    assert as_user(app, "dg-squad").get("/notices").get_json() == {"items": [], "total": 0, "page": 1,
                                                                   "page_size": 20}
    refused = as_user(app, "dg-squad").post(f"/notices/{mine[0]['id']}/read")
    assert refused.status_code == 404 and "not addressed to you" in refused.get_json()["detail"]


def test_bad_notice_queries_are_a_clear_422(app, demo):
    response = as_user(app, "sjm-squad").get("/notices?unread=perhaps&page=0")
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"unread", "page"}

"""The supervisors' pages: SLA board, drill-down, supervision notices, notices, extension decisions, reassignment."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

import engine
from engine.calendar_import import import_year
from engine.notices import list_notices
from engine.org import get_actor
from engine.sla import mark_breaches, send_due_supervision
from engine.supervision_notices import list_sent_notices
from tests.web.page_steps import case_at_on_site_handling, client_of, csrf_token, htmx_post


@dataclass(frozen=True)
class Breach:
    site: object
    case: object
    task: object


START = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # Monday 09:00 in Zhoushan


def post(client, path: str, data: dict):
    return client.post(path, data={"csrf_token": csrf_token(client, "/inbox"), **data})


@pytest.fixture
def breach(site):
    """At 09:01 the next day: the street squad's on-site handling (24 hours) is overdue and marked so."""
    with time_machine.travel(START, tick=False) as clock:
        case, task = case_at_on_site_handling()
        clock.move_to(task.due_at + timedelta(minutes=1))
        assert mark_breaches(now=datetime.now(UTC)) == 1
        assert send_due_supervision(now=datetime.now(UTC)) == 1  # the reminder to the squad
        yield Breach(site, case, task)


def visit(breach, username: str = "sjm-supervisor", **kwargs):
    """A test client of the site, logged in."""
    return client_of(breach.site, username, **kwargs)


def test_the_board_shows_the_breach_by_tier_and_agency_and_links_to_the_drill_down(breach):
    page = visit(breach).get("/supervision").get_data(as_text=True)
    assert "<h1>超期督办看板</h1>" in page
    street = re.search(r'<tr id="tier-street">.*?</tr>', page, re.S).group(0)
    assert 'href="/supervision/tasks?tier=street&amp;state=overdue">1</a>' in street
    agency = re.search(r'<tr id="agency-sjm-squad">.*?</tr>', page, re.S).group(0)
    assert "沈家门街道联动处置分队" in agency and "state=overdue" in agency
    assert "tier-city" not in page  # the city is above the street supervisor
    assert '<span class="figure-number">1</span> <span class="figure-label">项超期任务</span>' in page


def test_the_drill_down_lists_the_overdue_task_with_links_and_a_notice_form(breach):
    case, task = breach.case, breach.task
    client = visit(breach)
    page = client.get("/supervision/tasks?state=overdue").get_data(as_text=True)
    row = re.search(rf'<li class="task-item board-task" id="task-{task.id}">.*?</li>', page, re.S).group(0)
    assert f'href="/tasks/{task.id}"' in row and f'href="/cases/{case.id}"' in row
    assert "已超期" in row and "街道" in row and 'name="message"' in row
    assert "共 1 项任务" in page or "1 项任务" in page
    assert client.get("/supervision/tasks?state=due_soon").get_data(as_text=True).count("board-task") == 0
    assert client.get("/supervision/tasks?tier=province").status_code == 400
    assert visit(breach, "pt-supervisor").get("/supervision/tasks?agency=zs-dispatch").status_code == 404
    staff = visit(breach, "sjm-squad").get("/supervision")
    assert staff.status_code == 403 and "无权" in staff.get_data(as_text=True)


def test_a_supervisor_sends_a_supervision_notice_and_bad_input_is_answered_in_place(breach):
    task = breach.task
    client = visit(breach)
    path = f"/tasks/{task.id}/supervision-notice"

    empty = post(client, path, {"message": "   "})
    assert empty.status_code == 422
    assert re.search(rf'id="notice-{task.id}-message-error">请写明督办要求', empty.get_data(as_text=True))
    inline = htmx_post(client, path, {"message": ""})
    assert inline.status_code == 422 and 'aria-invalid="true"' in inline.get_data(as_text=True)
    assert "<html" not in inline.get_data(as_text=True)  # only the form, swapped in place

    sent = htmx_post(client, path, {"message": "请今日内办结并反馈"})
    assert sent.status_code == 200 and "督办通知已发送至沈家门街道联动处置分队" in sent.get_data(as_text=True)
    done = post(client, path, {"message": "再次督办", "next": "/supervision/tasks?state=overdue"})
    assert done.status_code == 302 and done.headers["Location"] == "/supervision/tasks?state=overdue"
    assert list_notices(actor=get_actor("sjm-squad")).total == 3  # the reminder and the two notices

    denied = post(visit(breach, "sjm-squad"), path, {"message": "快办"})
    assert denied.status_code == 403 and "无权" in denied.get_data(as_text=True)
    assert post(visit(breach, "dg-supervisor"), path, {"message": "快办"}).status_code == 404


def test_the_task_page_offers_a_supervisor_the_notice_and_reassign_forms(breach):
    task = breach.task
    page = visit(breach).get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'id="supervision-title">督办' in page and f'id="notice-{task.id}-message"' in page
    assert '<option value="sjm-duntou-g1">墩头社区第一网格 (sjm-duntou-g1)</option>' in page
    assert '<option value="sjm-squad"' not in page  # where it already is
    staff = visit(breach, "sjm-squad").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'id="supervision-title"' not in staff


def test_reassigning_needs_a_reason_then_moves_the_task(breach):
    case, task = breach.case, breach.task
    client = visit(breach)
    missing = post(client, f"/tasks/{task.id}/reassign", {"agency": "sjm-duntou-g1", "reason": ""})
    page = missing.get_data(as_text=True)
    assert missing.status_code == 422 and 'id="reassign-reason-error">请填写改派理由' in page
    assert '<option value="sjm-duntou-g1" selected>' in page
    done = post(client, f"/tasks/{task.id}/reassign", {"agency": "sjm-duntou-g1", "reason": "网格员就近处置"})
    assert done.status_code == 302 and done.headers["Location"] == f"/tasks/{task.id}"
    assert "任务已改派至墩头社区第一网格" in client.get(done.headers["Location"]).get_data(as_text=True)
    assert engine.get_case(case.id).open_tasks[0].agency_code == "sjm-duntou-g1"
    outside = post(client, f"/tasks/{task.id}/reassign", {"agency": "dg-squad", "reason": "x"})
    assert outside.status_code == 403


def test_notices_are_read_unread_first_and_the_sender_tracks_them(breach):
    task = breach.task
    supervisor = visit(breach)
    assert htmx_post(supervisor, f"/tasks/{task.id}/supervision-notice", {"message": "请今日内办结"}).status_code == 200
    [sent] = list_sent_notices(actor=get_actor("sjm-supervisor")).items
    squad = visit(breach, "sjm-squad")
    page = squad.get("/notices").get_data(as_text=True)
    assert page.index(f'id="notice-item-{sent.id}"') < page.index("【超时提醒】")  # newest first
    assert page.count("<strong>未读</strong>") == 2 and "督办通知" in page and "超时提醒" in page
    tracked = supervisor.get("/notices?tab=sent").get_data(as_text=True)
    assert "尚未阅读" in tracked and "发往沈家门街道联动处置分队" in tracked and "请今日内办结" in tracked

    read = htmx_post(squad, f"/notices/{sent.id}/read")
    body = read.get_data(as_text=True)
    assert read.status_code == 200 and "已读（" in body and "<html" not in body and "标为已读" not in body
    page = squad.get("/notices").get_data(as_text=True)
    assert page.index("【超时提醒】") < page.index(f'id="notice-item-{sent.id}"')  # unread first
    assert "已于" in supervisor.get("/notices?tab=sent").get_data(as_text=True)
    assert squad.get("/notices?tab=sent").status_code == 403
    assert post(visit(breach, "dg-squad"), f"/notices/{sent.id}/read", {}).status_code == 404
    plain = post(squad, f"/notices/{sent.id}/read", {"next": "/notices"})
    assert plain.status_code == 302 and plain.headers["Location"] == "/notices"


def test_a_supervisor_approves_and_refuses_extension_requests_in_place(breach):
    task = breach.task
    request = engine.request_extension(task_id=task.id, username="sjm-squad", reason="当事人外出",
                                       extra="2 working days")
    client = visit(breach)
    page = client.get("/extensions").get_data(as_text=True)
    assert f'id="extension-{request.id}"' in page and "当事人外出" in page and "批准" in page

    refused = htmx_post(client, f"/extensions/{request.id}/refuse", {"note": ""})
    assert refused.status_code == 422 and "请说明不予延期的理由" in refused.get_data(as_text=True)
    plain = post(client, f"/extensions/{request.id}/refuse", {"note": " "})
    assert plain.status_code == 422 and 'aria-invalid="true"' in plain.get_data(as_text=True)
    approved = htmx_post(client, f"/extensions/{request.id}/approve", {"note": "同意"})
    assert approved.status_code == 200 and "已批准" in approved.get_data(as_text=True)
    assert engine.get_extension(request.id, get_actor("sjm-supervisor")).status == "approved"

    second = engine.request_extension(task_id=task.id, username="sjm-squad", reason="再延", extra="1 working day")
    done = post(client, f"/extensions/{second.id}/refuse", {"note": "请按期办结"})
    assert done.status_code == 302 and "不予延期" in client.get("/extensions").get_data(as_text=True)
    assert engine.get_extension(second.id, get_actor("sjm-supervisor")).status == "refused"
    assert "请按期办结" in client.get("/extensions?status=refused").get_data(as_text=True)
    # The squad sees its own requests but gets no decision form.
    squad = visit(breach, "sjm-squad").get("/extensions?status=refused").get_data(as_text=True)
    assert "请按期办结" in squad and "decision-form" not in squad


def test_the_board_warns_when_next_year_has_no_working_day_calendar_until_it_is_imported(breach):
    client = visit(breach)
    page = client.get("/supervision").get_data(as_text=True)
    assert 'id="calendar-warning"' in page and "2027" in page and "gongzhi calendar import FILE" in page
    import_year(schedule={"year": 2027, "holidays": {"2027-01-01": "元旦"}, "workdays": {}})
    assert 'id="calendar-warning"' not in client.get("/supervision").get_data(as_text=True)


def test_the_supervisors_pages_speak_english_too(breach):
    client = visit(breach, lang="en")
    board = client.get("/supervision").get_data(as_text=True)
    assert "<h1>SLA board</h1>" in board and "By tier" in board and "No official working-day schedule" in board
    assert "Overdue and due soon" in client.get("/supervision/tasks").get_data(as_text=True)
    assert "Received" in client.get("/notices").get_data(as_text=True)
    assert "Extension requests" in client.get("/extensions").get_data(as_text=True)

"""Supervisors' pages in a real browser on a desktop screen: a breach on the SLA board, a supervision notice sent
from the drill-down and tracked until the agency reads it; an extension decided in place."""

import shutil
from datetime import timedelta

import pytest
import time_machine

from engine import complete_task, request_extension
from engine.db import utcnow
from engine.sla import mark_breaches, send_due_supervision
from tests.browser.conftest import ARTIFACTS, log_in, screenshot, serving
from tests.web.page_steps import case_at_on_site_handling

HANDLED = {"handling_measures": "到场劝导，车辆已挪走", "handled_on_site": True}
SCREENSHOTS = ARTIFACTS.parent / "docs" / "screenshots"


def _breaches() -> dict:
    """Cases dispatched to the street squad two days ago (24-hour deadlines): two found overdue, one kept."""
    with time_machine.travel(utcnow() - timedelta(days=2), tick=False):
        late_case, late_task = case_at_on_site_handling("沿街店铺深夜噪声扰民")
        _, extended = case_at_on_site_handling("夜市摊位占道经营")
        _, kept = case_at_on_site_handling("小区门口车辆乱停")
        complete_task(task_id=kept.id, username="sjm-squad", data=HANDLED)  # on time, for the on-time figures
    assert mark_breaches(now=utcnow()) == 3  # the two at the squad, and the police feedback after the kept one
    send_due_supervision(now=utcnow())
    request = request_extension(task_id=extended.id, username="sjm-squad", reason="当事人外出，约定周一上门",
                                extra="2 working days")
    return {"late_case": late_case.id, "late_task": late_task.id, "extension": request.id}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The served app with two overdue tasks at 沈家门街道联动处置分队, one with an extension request."""
    with serving(tmp_path_factory, _breaches) as found:
        yield found


def test_a_supervisor_sees_a_breach_on_the_board_drills_down_and_sends_a_notice_that_is_tracked(
        desktop_page, live, browser):
    page = desktop_page
    log_in(page, live, "sjm-supervisor")
    page.click("nav.site-nav >> text=超期督办看板")
    page.wait_for_url("**/supervision")
    street = page.locator("#tier-street")
    assert street.locator("a.count-overdue").inner_text() == "3"
    squad = page.locator("#agency-sjm-squad")
    assert "沈家门街道联动处置分队" in squad.inner_text() and squad.locator("a.count-overdue").inner_text() == "2"
    assert "1 项任务：按期 1 项" in page.locator("#on-time-title + p").inner_text()
    assert page.locator("#calendar-warning").count() in (0, 1)  # next year may not be loaded yet
    screenshot(page, "supervision-board-desktop")

    squad.locator("a.count-overdue").click()
    page.wait_for_url("**/supervision/tasks?agency=sjm-squad&state=overdue")
    row = page.locator(f"#task-{live['late_task']}")
    assert "已超期" in row.locator(".deadline").inner_text()
    row.get_by_text("发送督办通知", exact=True).first.click()  # opens the disclosure
    button = row.get_by_role("button", name="发送督办通知")
    button.click()  # nothing written: the error comes back in place
    error = row.locator(f"#notice-{live['late_task']}-message-error")
    error.wait_for()
    assert "请写明督办要求" in error.inner_text()
    url_before = page.url
    row.get_by_label("向承办单位发送督办通知").fill("请今日17:00前到场处置并反馈结果")
    row.get_by_role("button", name="发送督办通知").click()
    row.get_by_text("督办通知已发送至沈家门街道联动处置分队").wait_for()  # swapped in place by htmx
    assert page.url == url_before
    screenshot(page, "supervision-tasks-desktop")

    page.click("nav.tabs >> text=通知")
    page.click("nav.tabs >> text=本辖区已发督办")
    tracked = page.locator(".sent-notice").first
    assert "请今日17:00前到场处置并反馈结果" in tracked.inner_text() and "尚未阅读" in tracked.inner_text()

    # The squad reads it on a phone; the supervisor sees it read.
    squad_context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    phone = squad_context.new_page()
    log_in(phone, live, "sjm-squad")
    phone.click("nav.site-nav >> text=通知")
    notice = phone.locator(".notice-item", has_text="请今日17:00前到场处置并反馈结果")
    notice.get_by_role("button", name="标为已读").click()
    notice.get_by_text("已读（").wait_for()
    screenshot(phone, "notices-phone")
    squad_context.close()

    page.reload()
    assert "已于" in page.locator(".sent-notice").first.inner_text()
    screenshot(page, "supervision-notices-sent-desktop")
    SCREENSHOTS.mkdir(exist_ok=True)
    shutil.copy(ARTIFACTS / "supervision-board-desktop.png", SCREENSHOTS / "supervision-board-desktop.png")


def test_a_supervisor_refuses_without_a_note_then_approves_an_extension_and_sees_the_task_page_tools(
        desktop_page, live):
    page = desktop_page
    log_in(page, live, "sjm-supervisor")
    page.click("nav.site-nav >> text=延期审批")
    item = page.locator(f"#extension-{live['extension']}")
    assert "当事人外出" in item.inner_text()
    item.get_by_role("button", name="不予延期：现场处置").click()
    item.locator(".field-error").wait_for()
    assert "请说明不予延期的理由" in item.locator(".field-error").inner_text()
    screenshot(page, "extensions-desktop")
    page.locator(f"#extension-{live['extension']}").get_by_role("button", name="批准：现场处置").click()
    page.locator(f"#extension-{live['extension']}").get_by_text("已批准延期").wait_for()

    page.goto(f"{live['url']}/tasks/{live['late_task']}")
    assert page.get_by_label("改派至").count() == 1 and page.locator("#reassign-agency option").count() > 5
    page.locator("#supervision").scroll_into_view_if_needed()
    screenshot(page, "task-supervision-desktop")

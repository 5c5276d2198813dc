"""Staff pages in a real browser on a phone-sized screen: inbox, claim, the task form, the case diagram."""

from tests.browser.conftest import log_in, screenshot


def test_a_grid_worker_claims_a_task_on_a_phone_fixes_the_form_and_completes_it(page, live):
    log_in(page, live, "sjm-duntou-g1")
    page.click("nav.site-nav >> text=待办任务")
    page.click("nav.tabs >> text=本单位待签收")
    row = page.locator(f"#task-{live['grid_task']}")
    row.get_by_text("剩余").wait_for()
    assert "沈家门" not in row.locator(".meta").inner_text()  # it is the grid's own task now
    screenshot(page, "inbox-phone")

    url_before = page.url
    row.get_by_role("button", name="签收：现场处置").click()
    row.get_by_role("button", name="取消签收：现场处置").wait_for()  # swapped in place by htmx
    assert page.url == url_before
    assert "已签收" in row.locator(".task-state").inner_text()

    row.get_by_role("link", name="办理：现场处置").click()
    page.wait_for_url(f"**/tasks/{live['grid_task']}")
    page.get_by_role("button", name="办结任务").click()  # nothing filled in
    error = page.locator("#f-handling_measures-error")
    error.wait_for()
    assert "此项不能为空" in error.inner_text()
    assert "此项必填" in page.locator("#f-handled_on_site-error").inner_text()
    assert page.locator("#f-handling_measures").get_attribute("aria-invalid") == "true"
    screenshot(page, "task-form-errors-phone")

    page.get_by_label("处置措施").fill("网格员到场劝导，施工方承诺夜间停工")
    page.get_by_label("是", exact=True).check()
    page.get_by_role("button", name="办结任务").click()
    page.wait_for_url(f"**/cases/{live['grid_case']}")
    assert "任务已办结" in page.locator("#alerts").inner_text()
    assert "现场处置" in page.locator(".timeline").inner_text()


def test_the_case_page_marks_the_current_step_and_the_completed_ones_on_the_diagram(page, live):
    log_in(page, live, "sjm-squad")
    page.goto(f"{live['url']}/cases/{live['squad_case']}")
    page.wait_for_selector("#case-diagram[data-ready=true]")
    element = 'g.djs-element[data-element-id="{}"]'.format
    assert "highlight-active" in page.locator(element("Task_OnSiteHandling")).get_attribute("class")
    for done in ("Task_CityDispatch", "Task_DistrictDispatch"):
        assert "highlight-completed" in page.locator(element(done)).get_attribute("class")
    assert "highlight-active" not in page.locator(element("Task_ReturnVisit")).get_attribute("class")
    current = page.locator(".step-current")
    assert current.count() == 1 and "办理" in current.inner_text()
    assert "舟山市社会治理指挥中心" in page.locator(".agencies").inner_text()
    screenshot(page, "case-phone")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    page.wait_for_selector("#case-diagram[data-ready=true]")
    screenshot(page, "case-desktop")

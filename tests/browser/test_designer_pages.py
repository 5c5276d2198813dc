"""The designers' pages in a real browser on a desktop screen: edit a deadline in the modeler, deploy, compare."""

from tests.browser.conftest import log_in, screenshot

DESKTOP = {"width": 1440, "height": 900}
SHAPE = 'g.djs-element[data-element-id="{}"]'.format


def test_a_designer_changes_a_deadline_deploys_and_sees_the_new_version_and_what_changed(page, live):
    page.set_viewport_size(DESKTOP)
    log_in(page, live, "designer")
    page.click("nav.site-nav >> text=流程")
    page.wait_for_url("**/processes")
    assert page.locator("#version-diversion-1").is_visible()
    assert page.locator("#version-diversion-2").count() == 0
    page.locator("#version-diversion-1").get_by_role("link", name="在建模器中打开").click()
    page.wait_for_selector("#modeler[data-ready=true]")

    page.locator(SHAPE("Task_CityDispatch")).click()
    deadline = page.get_by_label("办理期限")
    deadline.wait_for()
    assert deadline.input_value() == "30 minutes"
    assert page.get_by_label("表单").input_value() == "diversion_city_dispatch"
    assert "市级分流" in page.locator("#prop-selection").inner_text()
    deadline.fill("soon")  # the client checks the same rule as the server
    assert page.locator("#prop-deadline-error").is_visible()
    assert deadline.get_attribute("aria-invalid") == "true"
    deadline.fill("45 minutes")
    assert not page.locator("#prop-deadline-error").is_visible()

    page.locator(SHAPE("Lane_DivStreetSquad")).click(position={"x": 8, "y": 40})
    assert page.get_by_label("泳道的单位类型").input_value() == "联动处置分队"
    page.locator(SHAPE("Task_CityDispatch")).click()
    assert deadline.input_value() == "45 minutes"  # written into the diagram, read back from it
    box = page.locator(SHAPE("Task_CityDispatch")).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.keyboard.down("Control")  # Ctrl + wheel zooms the diagram in around the pointer
    for _ in range(6):
        page.mouse.wheel(0, -200)
    page.keyboard.up("Control")
    screenshot(page, "modeler-desktop", full_page=False)

    page.get_by_role("button", name="部署为新版本").click()
    page.wait_for_selector("#modeler[data-deployed='2']")
    assert "已部署为 diversion 的第 2 版" in page.locator("#deploy-status").inner_text()
    page.get_by_role("link", name="查看流程列表").click()
    page.wait_for_url("**/processes")
    row = page.locator("#version-diversion-2")
    assert row.is_visible() and "designer" in row.inner_text() and "最新" in row.inner_text()
    screenshot(page, "processes-desktop")
    # The deployed diagram holds the new deadline where the shipped diagrams keep it.
    download = page.request.get(f"{live['url']}/processes/diversion/versions/2/bpmn")
    assert download.ok and '<spiffworkflow:property name="deadline" value="45 minutes"' in download.text()

    row.get_by_role("link", name="与 v1 对比").click()
    page.wait_for_selector("#diagram-old[data-ready=true]")
    page.wait_for_selector("#diagram-new[data-ready=true]")
    for side in ("#diagram-old", "#diagram-new"):
        assert "diff-changed" in page.locator(f"{side} {SHAPE('Task_CityDispatch')}").get_attribute("class")
        assert "diff-changed" not in page.locator(f"{side} {SHAPE('Task_DistrictDispatch')}").get_attribute("class")
    assert "市级分流" in page.locator(".change-changed").inner_text()
    screenshot(page, "compare-desktop")


def test_a_deploy_the_server_refuses_marks_the_element_it_concerns(page, live):
    page.set_viewport_size(DESKTOP)
    log_in(page, live, "designer")
    page.goto(f"{live['url']}/processes/diversion/versions/1/edit")
    page.wait_for_selector("#modeler[data-ready=true]")
    # Rename a lane to something that is no agency kind, as a designer would by double-clicking its label.
    page.locator(SHAPE("Lane_DivStreetSquad")).dblclick(position={"x": 6, "y": 40})
    editor = page.locator(".djs-direct-editing-parent")
    editor.wait_for()
    page.keyboard.press("Control+A")
    page.keyboard.type("某某队")
    page.locator("#properties-title").click()  # leaving the label ends the editing
    page.get_by_role("button", name="部署为新版本").click()
    page.wait_for_selector("#modeler[data-error-element]")
    marked = page.locator("#modeler").get_attribute("data-error-element")
    assert marked in ("Task_OnSiteHandling", "Task_DivSquadTracking")
    assert "deploy-error" in page.locator(SHAPE(marked)).get_attribute("class")
    assert "某某队" in page.locator(".deploy-error-overlay").inner_text()
    status = page.locator("#deploy-status").inner_text()
    assert "流程图无法部署" in status and "某某队" in status
    screenshot(page, "modeler-deploy-error", full_page=False)

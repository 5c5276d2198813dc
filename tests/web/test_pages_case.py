"""The case page: timeline, diagram data, agencies involved, the closed-loop step; 404 and 403 pages."""

import json
import re
from html import unescape

from engine import claim_task, complete_task
from tests.web.page_steps import case_at_on_site_handling, client_of, htmx_post


def _data(page: str, name: str) -> list[str]:
    return json.loads(unescape(re.search(rf"data-{name}='([^']*)'", page).group(1)))


def test_the_case_page_shows_the_timeline_diagram_agencies_and_closed_loop_step(site):
    case, _ = case_at_on_site_handling()
    response = client_of(site, "sjm-squad").get(f"/cases/{case.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _data(page, "active") == ["Task_OnSiteHandling"]
    assert {"Task_CityDispatch", "Task_DistrictDispatch"} <= set(_data(page, "completed"))
    assert _data(page, "overdue") == []
    xml = json.loads(re.search(r'<script type="application/json" id="case-diagram-xml">(.*?)</script>', page,
                               re.S).group(1))
    assert xml.startswith("<?xml") and 'id="Task_OnSiteHandling"' in xml
    assert "bpmn-navigated-viewer.production.min.js" in page and "https://" not in page
    steps = re.findall(r'<li class="step step-(\w+)"', page)
    assert steps == ["done", "current", "todo", "todo", "todo"]
    assert 'aria-current="step"' in page
    for agency in ("舟山市社会治理指挥中心", "普陀区社会治理指挥中心", "沈家门街道联动处置分队"):
        assert agency in page
    for event in ("案件登记", "任务生成", "已签收", "已完成"):
        assert event in page
    assert "非警务类事项，转区指挥中心分流" in page  # what the city dispatcher wrote


def test_a_closed_case_marks_the_steps_it_never_needed(site):
    case, task = case_at_on_site_handling()
    claim_task(task_id=task.id, username="sjm-squad")
    view = complete_task(task_id=task.id, username="sjm-squad",
                         data={"handling_measures": "劝导", "handled_on_site": True})
    feedback = view.open_tasks[0]
    claim_task(task_id=feedback.id, username="sjm-police")
    view = complete_task(task_id=feedback.id, username="sjm-police",
                         data={"handling_result": "mediated", "feedback_summary": "已调处"})
    visit = view.open_tasks[0]
    claim_task(task_id=visit.id, username="sjm-police")
    complete_task(task_id=visit.id, username="sjm-police", data={"satisfied": True, "visit_method": "phone"})
    page = client_of(site, "sjm-police").get(f"/cases/{case.id}").get_data(as_text=True)
    # Handled on the spot: no tracking was needed.
    assert re.findall(r'<li class="step step-(\w+)"', page) == ["done", "done", "done", "skipped", "done"]
    assert "已办结" in page and _data(page, "active") == []


def test_a_case_the_user_may_not_see_or_that_does_not_exist_is_a_404_page(site):
    case, _ = case_at_on_site_handling()
    elsewhere = client_of(site, "dg-squad")
    for path in (f"/cases/{case.id}", "/cases/4242", "/cases/x"):
        response = elsewhere.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 404, path
        assert '<html lang="zh-CN">' in page and "找不到 (404)" in page and "不存在" in page


def test_an_action_the_user_may_not_take_is_a_403_page(site):
    _, task = case_at_on_site_handling()
    police = client_of(site, "sjm-police")
    response = police.post(f"/tasks/{task.id}/claim",
                           data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"',
                                                         police.get("/inbox").get_data(as_text=True)).group(1)})
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and "无权操作 (403)" in page and "may not act on task" in page
    assert htmx_post(police, f"/tasks/{task.id}/claim").status_code == 403

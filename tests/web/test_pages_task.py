"""The task page: the form from the task's JSON Schema, inline errors, complete, return, comment, extension."""

import re

import pytest

import engine
from engine.comments import list_comments
from engine.org import get_actor
from processes.forms import load_form
from tests.web.page_steps import case_at_on_site_handling, client_of, csrf_token
from web.pages.task_form import form_data, form_fields


def post(client, path: str, data: dict):
    return client.post(path, data={"csrf_token": csrf_token(client, "/inbox"), **data})


def test_the_form_has_a_labelled_input_for_every_field_with_required_markers(site):
    _, task = case_at_on_site_handling()
    page = client_of(site, "sjm-squad").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert '<label for="f-handling_measures">处置措施 <span class="req">必填</span></label>' in page
    assert '<textarea id="f-handling_measures" name="handling_measures"' in page
    assert '<legend>是否现场处置完毕 <span class="req">必填</span></legend>' in page
    assert 'type="radio" name="handled_on_site" id="f-handled_on_site-true" value="true"' in page
    assert "联动处置分队到场处置" in page  # the form's description
    assert "案件概况" in page and "楼上深夜装修噪声扰民" in page
    assert "退回理由" in page  # the on-site handling is returnable


def test_an_invalid_form_is_a_422_with_messages_by_the_fields_and_the_values_kept(site):
    case, task = case_at_on_site_handling()
    squad = client_of(site, "sjm-squad")
    response = post(squad, f"/tasks/{task.id}/complete", {"handling_measures": "  ", "handled_on_site": "true"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="field-error" id="f-handling_measures-error">此项不能为空。</p>' in page
    assert re.search(r'id="f-handling_measures"[^>]*aria-describedby="f-handling_measures-error"', page)
    assert 'value="true" checked' in page  # what was chosen stays chosen
    assert "表单有 1 处需要修改" in page
    assert engine.get_case(case.id).open_tasks[0].status == "open"  # nothing happened

    missing = post(squad, f"/tasks/{task.id}/complete", {"handling_measures": "到场劝导"}).get_data(as_text=True)
    assert '<p class="field-error" id="f-handled_on_site-error">此项必填。</p>' in missing
    assert "到场劝导</textarea>" in missing
    garbled = post(squad, f"/tasks/{task.id}/complete", {"handling_measures": "x", "handled_on_site": "maybe"})
    assert garbled.status_code == 422 and "请选择“是”或“否”" in garbled.get_data(as_text=True)


def test_a_valid_form_completes_the_task_and_opens_the_case(site):
    case, task = case_at_on_site_handling()
    squad = client_of(site, "sjm-squad")
    response = post(squad, f"/tasks/{task.id}/complete", {"handling_measures": "到场劝导，双方和解",
                                                          "handled_on_site": "true"})
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{case.id}"
    assert "任务已办结" in squad.get(response.headers["Location"]).get_data(as_text=True)
    [after] = engine.get_case(case.id).open_tasks
    assert after.bpmn_id == "Task_PoliceFeedback"
    done = squad.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "办结任务</button>" not in done and "已完成" in done


def test_returning_needs_a_reason_then_sends_the_task_back(site):
    case, task = case_at_on_site_handling()
    squad = client_of(site, "sjm-squad")
    empty = post(squad, f"/tasks/{task.id}/return", {"reason": " "})
    assert empty.status_code == 422 and '<p class="field-error" id="return-reason-error">请填写退回理由。' in \
        empty.get_data(as_text=True)
    returned = post(squad, f"/tasks/{task.id}/return", {"reason": "不属于本辖区"})
    assert returned.status_code == 302 and returned.headers["Location"] == "/inbox"
    assert "任务已退回" in squad.get("/inbox").get_data(as_text=True)
    assert engine.get_case(case.id).open_tasks[0].bpmn_id != "Task_OnSiteHandling"


def test_comments_are_added_and_an_empty_one_is_refused_inline(site, app):
    _, task = case_at_on_site_handling()
    squad = client_of(site, "sjm-squad")
    assert post(squad, f"/tasks/{task.id}/comments", {"body": ""}).status_code == 422
    response = post(squad, f"/tasks/{task.id}/comments", {"body": "已联系物业"})
    assert response.status_code == 302 and response.headers["Location"] == f"/tasks/{task.id}#comments"
    assert "已联系物业" in squad.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert [c.body for c in list_comments(task_id=task.id, actor=get_actor("sjm-squad"))] == ["已联系物业"]


@pytest.mark.skipif(not hasattr(engine, "request_extension"), reason="engine.request_extension is not there yet")
def test_an_extension_is_requested_from_the_task_page(site):
    _, task = case_at_on_site_handling()
    squad = client_of(site, "sjm-squad")
    assert "申请延期" in squad.get(f"/tasks/{task.id}").get_data(as_text=True)
    no_reason = post(squad, f"/tasks/{task.id}/extension", {"extra": "2 working days", "reason": ""})
    assert no_reason.status_code == 422 and "请填写延期理由" in no_reason.get_data(as_text=True)
    odd = post(squad, f"/tasks/{task.id}/extension", {"extra": "99 years", "reason": "x"})
    assert odd.status_code == 422
    sent = post(squad, f"/tasks/{task.id}/extension", {"extra": "2 working days", "reason": "当事人外出"})
    assert sent.status_code == 302
    assert "延期申请已提交" in squad.get(f"/tasks/{task.id}").get_data(as_text=True)


def test_unknown_invisible_and_malformed_task_ids_are_404_pages(site):
    _, task = case_at_on_site_handling()
    other_street = client_of(site, "dg-squad")
    for path in (f"/tasks/{task.id}", "/tasks/999", "/tasks/abc", "/tasks/99999999999", "/tasks/-1"):
        response = other_street.get(path)
        assert response.status_code == 404, path
        assert "不存在" in response.get_data(as_text=True)


def test_a_task_another_agency_may_only_follow_shows_no_form(site):
    _, task = case_at_on_site_handling()
    page = client_of(site, "sjm-police").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "办结任务</button>" not in page and "只有该单位可以办理" in page


def test_the_form_builder_covers_conditional_numbers_lists_and_labelled_choices(site):
    with site.test_request_context("/?lang=zh"):
        front_desk = {item.name: item for item in form_fields(load_form("one_window_front_desk"))}
        assert front_desk["received_materials"].kind == "lines"
        assert front_desk["photo_on_file"].kind == "boolean"
        assert front_desk["photo_ref"].condition == "当“照片库中是否已有本人合规照片”为“是”时必填。"
        visit = {item.name: item for item in form_fields(load_form("diversion_return_visit"))}
        assert visit["visit_method"].options == [("phone", "电话"), ("sms", "短信"), ("in_person", "上门")]
        assert visit["visit_method"].hint == ""  # the description only listed the choices
        agreement = form_fields(load_form("sea_land_agreement"))
        kinds = {item.name: item.kind for item in agreement}
        assert kinds["amount_paid"] == "number" and kinds["people_helped"] == "integer"
        data, errors = form_data(agreement, {"amount_paid": "1,200.5", "people_helped": "3.5"})
        assert data["amount_paid"] == 1200.5 and errors == {"people_helped": ["请输入整数。"]}
        data, errors = form_data(agreement, {"amount_paid": "nan", "people_helped": "11"})
        assert data["people_helped"] == 11 and "amount_paid" in errors

"""The public return-visit survey in a real browser, on a phone: the resident answers once."""

import pytest

from tests.browser.conftest import PHONE, screenshot, serving, watched_page
from tests.integrations.test_return_surveys import at_return_visit, survey_link


def _case_at_return_visit() -> dict:
    case = at_return_visit()
    return {"case": case.id, "link": survey_link()}


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    with serving(tmp_path_factory, _case_at_return_visit) as found:
        yield found


def test_a_resident_answers_the_survey_on_a_phone_and_the_link_then_says_it_was_used(browser, survey):
    context, page, problems = watched_page(browser, PHONE)
    page.goto(survey["url"] + survey["link"])
    assert page.locator("h1").inner_text() == "您反映的事项处理得如何？"
    page.click("text=提交")  # nothing chosen: the page says what is missing
    assert "请选择一项评价" in page.locator("#satisfaction-error").inner_text()
    screenshot(page, "survey-error")
    page.check("input[value=satisfied]")
    page.fill("#comment", "民警和社区处理及时，谢谢")
    page.click("text=提交")
    assert "感谢您的评价，已记录" in page.locator("[role=status]").inner_text()
    screenshot(page, "survey-answered")
    page.goto(survey["url"] + survey["link"])
    assert "此链接已使用过" in page.locator("[role=alert]").inner_text()
    context.close()
    assert not problems, problems

"""Return visits by SMS (短信回访): a one-time link, a public page, and the diagram's answer to it."""

import re
from datetime import timedelta

import time_machine
from sqlalchemy import select

from engine import get_case
from engine.db import db, utcnow
from engine.models import OutboxMessage, ReturnSurvey, Task
from tests.scenarios.test_diversion import SETTLED, WALL, Diversion
from tests.web.page_steps import csrf_token

PHONE = "13800138000"
CONSENTING = {**WALL, "caller_phone": PHONE, "notify_caller": True}


def at_return_visit(data=CONSENTING) -> Diversion:
    case = Diversion(data).dispatch_down()
    case.work("Task_OnSiteHandling", "sjm-squad", "sjm-squad", SETTLED)
    case.work("Task_PoliceFeedback", "sjm-police", "sjm-police",
              {"handling_result": "mediated", "feedback_summary": "已调处"})
    case.expect("Task_ReturnVisit", "sjm-police")
    return case


class Resident:
    """A browser on the survey page: it opens the page once and sends the form from it.

    One per test: the app context the tests run in keeps Flask-WTF's token in `g` across clients.
    """

    def __init__(self, app, link: str):
        self.client, self.link = app.test_client(), link
        self.token = csrf_token(self.client, link)

    def answer(self, **form):
        return self.client.post(self.link, data={**form, "csrf_token": self.token})


def survey_link() -> str:
    [text] = db.session.scalars(select(OutboxMessage.payload["text"]).where(OutboxMessage.topic == "sms")).all()
    return re.search(r"http://127\.0\.0\.1:5000(/survey/\S+)", text)[1]


def test_the_survey_page_asks_in_chinese(app, demo):
    at_return_visit()
    page = app.test_client().get(survey_link())
    assert page.status_code == 200 and "您对处置结果是否满意" in page.text and "基本满意" in page.text


def test_a_satisfied_answer_through_the_link_closes_the_case(app, demo):
    case = at_return_visit()
    link = survey_link()
    resident = Resident(app, link)
    answered = resident.answer(satisfaction="basically_satisfied", comment="处理及时")
    assert answered.status_code == 200 and "已记录" in answered.text
    view = get_case(case.id)
    assert view.status == "completed"
    visit = [e for e in view.events if e.event == "completed"][-1]
    assert (visit.actor, visit.data["satisfaction"], visit.data["visit_method"]) == (None, "basically_satisfied", "sms")
    survey = db.session.scalars(select(ReturnSurvey)).one()
    assert (survey.satisfaction, survey.comment) == ("basically_satisfied", "处理及时")
    assert survey.token_hash not in link  # only the hash is kept

    again = resident.answer(satisfaction="unsatisfied")
    assert again.status_code == 410 and "已使用" in again.text
    assert resident.client.get(link).status_code == 410


def test_an_unsatisfied_answer_sends_the_matter_back_to_handling_as_the_diagram_says(app, demo):
    case = at_return_visit()
    Resident(app, survey_link()).answer(satisfaction="unsatisfied", comment="赔偿未落实")
    [redo] = get_case(case.id).open_tasks
    assert redo.bpmn_id != "Task_ReturnVisit" and get_case(case.id).status == "running"


def test_an_expired_link_is_refused_and_the_visit_stays_with_the_staff(app, demo):
    case = at_return_visit()
    resident = Resident(app, survey_link())  # the page opened in time, the answer sent too late
    with time_machine.travel(utcnow() + timedelta(days=7, minutes=1), tick=False):
        assert resident.client.get(resident.link).status_code == 410
        refused = resident.answer(satisfaction="satisfied")
    assert refused.status_code == 410 and "已过期" in refused.text
    assert get_case(case.id).open_tasks[0].bpmn_id == "Task_ReturnVisit"


def test_a_bad_answer_is_shown_on_the_page_and_records_nothing(app, demo):
    case = at_return_visit()
    resident = Resident(app, survey_link())
    missing = resident.answer(comment="还行")
    assert missing.status_code == 422 and "请选择" in missing.text and "还行" in missing.text
    too_long = resident.answer(satisfaction="satisfied", comment="长" * 1001)
    assert too_long.status_code == 422
    assert db.session.scalars(select(ReturnSurvey.answered_at)).one() is None
    assert get_case(case.id).open_tasks[0].bpmn_id == "Task_ReturnVisit"


def test_an_unknown_link_is_a_404_and_no_consent_means_no_survey(app, demo):
    assert app.test_client().get("/survey/not-a-token").status_code == 404
    at_return_visit(WALL)
    assert db.session.scalars(select(ReturnSurvey)).all() == []


def test_a_visit_the_staff_made_first_keeps_the_answer_without_moving_the_case(app, demo):
    case = at_return_visit()
    resident = Resident(app, survey_link())
    case.work("Task_ReturnVisit", "sjm-police", "sjm-police",
              {"satisfied": True, "visit_method": "phone", "visit_note": "电话回访满意"})
    assert resident.answer(satisfaction="satisfied").status_code == 200
    visits = db.session.scalars(select(Task.completed_by_id).where(Task.bpmn_id == "Task_ReturnVisit")).all()
    assert len(visits) == 1 and visits[0] is not None  # the staff member's visit, not a second one

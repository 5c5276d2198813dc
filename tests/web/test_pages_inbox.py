"""The inbox page: tabs, filters, deadlines in colour and words, claim and unclaim via htmx or a plain form."""

from datetime import timedelta

import time_machine

from engine.db import utcnow
from tests.web.page_steps import case_at_on_site_handling, client_of, csrf_token, htmx_post


def test_the_inbox_needs_a_login(site):
    response = site.test_client().get("/inbox")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_the_tabs_show_my_tasks_my_agencys_unclaimed_and_the_overdue(site):
    _, task = case_at_on_site_handling()
    squad = client_of(site, "sjm-squad")
    agency = squad.get("/inbox?view=agency").get_data(as_text=True)
    assert f'id="task-{task.id}"' in agency and "现场处置" in agency and "楼上深夜装修噪声扰民" in agency
    assert 'aria-current="page">本单位待签收' in agency
    assert "deadline-soon" in agency and "剩余" in agency  # 24 hours to go: amber, and said in words
    mine = squad.get("/inbox").get_data(as_text=True)
    assert f'id="task-{task.id}"' not in mine and "您没有已签收的任务" in mine
    assert "没有超期任务" in squad.get("/inbox?view=overdue").get_data(as_text=True)

    with time_machine.travel(utcnow() + timedelta(days=3)):
        overdue = squad.get("/inbox?view=overdue").get_data(as_text=True)
    assert f'id="task-{task.id}"' in overdue and "deadline-overdue" in overdue and "已超期 2天" in overdue


def test_claiming_with_htmx_answers_the_rows_new_state_and_moves_it_to_my_tasks(site):
    _, task = case_at_on_site_handling()
    squad = client_of(site, "sjm-squad")
    response = htmx_post(squad, f"/tasks/{task.id}/claim")
    part = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in part
    assert "已签收 · sjm-squad" in part and f'hx-post="/tasks/{task.id}/unclaim"' in part
    assert f'id="task-{task.id}"' in squad.get("/inbox?view=mine").get_data(as_text=True)
    assert f'id="task-{task.id}"' not in squad.get("/inbox?view=agency").get_data(as_text=True)

    back = htmx_post(squad, f"/tasks/{task.id}/unclaim").get_data(as_text=True)
    assert "待签收" in back and f'hx-post="/tasks/{task.id}/claim"' in back


def test_claiming_without_javascript_goes_back_to_the_page_with_a_message(site):
    _, task = case_at_on_site_handling()
    squad = client_of(site, "sjm-squad")
    response = squad.post(f"/tasks/{task.id}/claim", data={"csrf_token": csrf_token(squad, "/inbox"),
                                                          "next": "/inbox?view=agency"})
    assert response.status_code == 302 and response.headers["Location"] == "/inbox?view=agency"
    assert "您已签收“现场处置”" in squad.get("/inbox?view=agency").get_data(as_text=True)
    outside = squad.post(f"/tasks/{task.id}/unclaim", data={"csrf_token": csrf_token(squad, "/inbox"),
                                                           "next": "https://evil.example/"})
    assert outside.headers["Location"] == "/inbox"


def test_an_htmx_claim_that_is_not_allowed_answers_an_alert_for_the_page(site):
    _, task = case_at_on_site_handling()
    police = client_of(site, "sjm-police")  # started the case, so sees it, but the task is the squad's
    response = htmx_post(police, f"/tasks/{task.id}/claim")
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#alerts" and "无权" in response.get_data(as_text=True)
    assert htmx_post(client_of(site, "dg-squad"), f"/tasks/{task.id}/claim").status_code == 404
    assert police.post(f"/tasks/{task.id}/claim").status_code == 400  # no CSRF token: refused


def test_the_filters_keep_a_process_or_a_stage_and_bad_values_are_a_readable_400(site):
    _, task = case_at_on_site_handling()
    squad = client_of(site, "sjm-squad")
    row = f'id="task-{task.id}"'
    assert row in squad.get("/inbox?view=agency&process=diversion&stage=handling").get_data(as_text=True)
    assert row not in squad.get("/inbox?view=agency&process=dispute_funnel").get_data(as_text=True)
    assert row not in squad.get("/inbox?view=agency&stage=tracking").get_data(as_text=True)
    assert row in squad.get("/inbox?view=agency&process=&stage=").get_data(as_text=True)  # "all"
    for query in ("view=everything", "stage=lunch", "page=0", "page=x"):
        response = squad.get(f"/inbox?{query}")
        assert response.status_code == 400, query
        assert "无效的值" in response.get_data(as_text=True)


def test_the_category_filter_keeps_the_tasks_of_cases_of_that_incident_category(site):
    _, noise = case_at_on_site_handling("楼上深夜装修噪声扰民")  # category noise
    squad = client_of(site, "sjm-squad")
    page = squad.get("/inbox?view=agency&category=noise").get_data(as_text=True)
    assert f'id="task-{noise.id}"' in page and "噪声扰民" in page  # the choice is named in Chinese
    assert f'id="task-{noise.id}"' not in squad.get("/inbox?view=agency&category=wage_dispute").get_data(as_text=True)
    assert squad.get("/inbox?view=agency&category=lunch").status_code == 400

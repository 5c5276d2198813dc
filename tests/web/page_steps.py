"""Steps the page tests and the browser tests share: a case at a given step, a logged-in test client."""

import re

from engine import claim_task, complete_task, reassign_task, start_case

PASSWORD = "gongzhi-demo"
NOISE = {"category": "noise", "location": "sjm-duntou-g1", "description": "楼上深夜装修噪声扰民"}
CITY = {"city_dispatch_note": "非警务类事项，转区指挥中心分流"}
DISTRICT = {"district_dispatch_note": "按承办层级下派"}
GRID_WORKER = "sjm-duntou-g1"


def _work(task_id: int, username: str, data: dict):
    claim_task(task_id=task_id, username=username)
    return complete_task(task_id=task_id, username=username, data=data)


def case_at_on_site_handling(description: str = NOISE["description"]):
    """A noise case dispatched down to the street squad's on-site handling (联动处置分队现场处置)."""
    case = start_case(process_id="diversion", data={**NOISE, "description": description}, username="sjm-police")
    case = _work(case.open_tasks[0].id, "city-dispatcher", CITY)
    case = _work(case.open_tasks[0].id, "pt-dispatcher", DISTRICT)
    [task] = case.open_tasks
    assert task.bpmn_id == "Task_OnSiteHandling"
    return case, task


def case_for_the_grid_worker(description: str = "网格内深夜装修噪声扰民"):
    """A case whose on-site handling the street supervisor sent to the grid worker of 墩头第一网格."""
    case, task = case_at_on_site_handling(description)
    reassign_task(task_id=task.id, username="sjm-supervisor", agency_code=GRID_WORKER, reason="网格员就近处置")
    return case, task


def csrf_token(client, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def log_in(client, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)


def client_of(site, username: str | None = None, *, lang: str | None = None):
    """A test client of the site, logged in as `username` (anonymous without one)."""
    client = site.test_client()
    if lang:
        client.set_cookie("lang", lang)
    if username:
        log_in(client, username)
    return client


def htmx_post(client, path: str, data: dict | None = None):
    """POST as htmx does: the HX-Request header and the page's CSRF token in X-CSRFToken."""
    token = csrf_token(client, "/inbox")
    return client.post(path, data=data or {}, headers={"HX-Request": "true", "X-CSRFToken": token})

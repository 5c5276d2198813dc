"""The supervision dashboard (/dashboard): KPI tiles from a constructed history, charts' data, filters, wall mode."""

import json
import re
from datetime import UTC, datetime

import pytest
import time_machine

from tests.engine.history import add_case, add_incident, add_supervision, add_task
from tests.web.page_steps import client_of

JUNE = "from=2025-06-01&to=2025-07-01"


@pytest.fixture
def history(site):
    """June 2025 at 沈家门 (Asia/Shanghai), worked out by hand; May 2025 and June 2024 to compare with.

    June: 3 incidents (1 non-police), 2 diversions (4 h and 48 h, diverted after 30 and 90 minutes, the
    second with a late, overdue and supervised task) and 2 disputes (4 h and 24 h: community, shared court);
    4 return visits, 3 satisfied. May: 2 incidents (1 non-police), one 10-hour diversion. June 2024: 4
    incidents, 1 case. Donggang's case is outside the street supervisor's area.
    """
    for received, police in (("06-01 09:00", True), ("06-05 10:00", True), ("06-07 11:00", False),
                             ("05-03 09:00", True), ("05-04 09:00", False)):
        add_incident(received=f"2025-{received}", police=police)
    for day in ("01", "02", "03", "04"):
        add_incident(received=f"2024-06-{day} 09:00", police=True)
    a = add_case(created="2025-06-02 10:00", completed="2025-06-02 14:00", closure="diverted",
                 diverted_at="2025-06-02 10:30", category="noise")
    b = add_case(created="2025-06-10 09:00", completed="2025-06-12 09:00", closure="diverted",
                 diverted_at="2025-06-10 10:30", category="noise")
    add_case(process="dispute_funnel", created="2025-06-03 09:00", completed="2025-06-03 13:00",
             resolved_level="community", court_outcome="none")
    add_case(process="dispute_funnel", created="2025-06-04 09:00", completed="2025-06-05 09:00",
             resolved_level="court", court_outcome="filed")
    add_case(created="2025-05-05 10:00", completed="2025-05-05 20:00", closure="diverted")
    add_case(created="2024-06-05 10:00", completed="2024-06-05 12:00", closure="diverted")
    add_case(created="2025-06-03 10:00", completed="2025-06-03 11:00", closure="diverted", location="dg-haihua-g1")
    add_task(a, at="sjm-squad", created="2025-06-02 10:00", due="2025-06-02 12:00", completed="2025-06-02 11:00")
    late = add_task(b, at="sjm-squad", created="2025-06-10 09:00", due="2025-06-10 12:00",
                    completed="2025-06-11 09:00", overdue="2025-06-10 12:01")
    add_supervision(late, b, sent="2025-06-10 13:00")
    for satisfied in (True, True, True, False):
        add_task(a, at="sjm-police", created="2025-06-03 10:00", completed="2025-06-03 11:00",
                 stage="return_visit", satisfied=satisfied)
    return site


def tile(page: str, key: str) -> str:
    """The text of a KPI tile, tags removed and spaces collapsed."""
    found = re.search(rf'<li class="kpi [^"]*" id="kpi-{key}">(.*?)</li>', page, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", found).split())


def chart_data(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>',
                                page, re.S).group(1))


def test_a_supervisor_sees_the_tiles_of_their_area_with_the_change_in_words(history):
    page = client_of(history, "sjm-supervisor").get(f"/dashboard?{JUNE}").get_data(as_text=True)
    assert "<h1>数据看板</h1>" in page and "沈家门街道" in page and "2025-06-01 至 2025-06-30" in page
    assert tile(page, "diverted-share") == "非警务分流占比 33.3% ▼ 较上期下降 16.7 个百分点 上期：50%"
    assert tile(page, "closure-rate") == "处置率 100% → 与上期持平 上期：100%"
    assert tile(page, "on-time-rate") == "按期办结率 50% – 上期无数据，无法比较 上期：–"
    assert tile(page, "satisfaction-rate").startswith("群众满意率 75%")
    # (4 + 48 + 4 + 24) / 4 hours in June, 10 in May: longer is bad news, said in words and by its class
    assert tile(page, "handling-time") == "平均处置时长 20 小时 ▲ 较上期增加 10 小时 上期：10 小时"
    assert 'class="kpi kpi-bad" id="kpi-handling-time"' in page
    assert tile(page, "divert-time").startswith("平均分流用时 60 分钟")
    assert tile(page, "overdue").startswith("超期任务 1 ▲ 较上期增加 1")
    assert tile(page, "notices").startswith("已发督办通知 1")
    assert tile(page, "incidents-yoy") == "警情数（同比） 3 ▼ 同比下降 25% 去年同期：4"
    assert 'class="kpi kpi-good" id="kpi-incidents-yoy"' in page
    assert tile(page, "cases-yoy") == "案件数（同比） 4 ▲ 同比上升 300% 去年同期：1"


def test_the_charts_get_their_data_and_labels_and_a_table_of_the_numbers(history):
    page = client_of(history, "sjm-supervisor").get(f"/dashboard?{JUNE}").get_data(as_text=True)
    charts = chart_data(page)
    trend = charts["trend"]
    assert len(trend["dates"]) == 30 and trend["dates"][1] == "06-02"
    assert [series["name"] for series in trend["series"]] == ["案件", "警情", "办结事项"]
    assert trend["series"][0]["values"][1] == 1 and sum(trend["series"][1]["values"]) == 3
    assert [(s["name"], s["value"]) for s in charts["funnel"]["stages"]] == [
        ("受理纠纷", 2), ("社区调解化解", 1), ("街道调解化解", 0), ("联调联处化解", 0), ("共享法庭立案", 1)]
    assert "未经法院化解：占已办结纠纷的 50%" in page
    assert charts["ranking"]["names"] == ["沈家门街道联动处置分队"] and charts["ranking"]["values"] == [50.0]
    row = re.search(r'<tr id="rank-sjm-squad">.*?</tr>', page, re.S).group(0)
    assert re.findall(r'<td class="num">([^<]*)</td>', row) == ["2", "1", "50.0%", "1", "1"]
    assert re.search(r'<tr id="funnel-court"><th scope="row">共享法庭立案</th><td class="num">1</td>', page)
    for chart in ("trend", "funnel", "ranking"):
        assert f'id="chart-{chart}" data-chart="{chart}" role="img"' in page
        assert f'id="{chart}-title"' in page
    assert page.count('<details class="chart-numbers') == 3
    assert '<script src="/static/js/dashboard.js" defer></script>' in page
    overdue = chart_data(client_of(history, "sjm-supervisor").get(f"/dashboard?{JUNE}&rank=overdue")
                         .get_data(as_text=True))["ranking"]
    assert overdue["title"] == "各单位超期任务排名" and overdue["values"] == [1]


def test_the_filters_narrow_the_figures_and_keep_to_the_supervisors_area(history):
    client = client_of(history, "sjm-supervisor")
    page = client.get(f"/dashboard?{JUNE}&process=dispute_funnel").get_data(as_text=True)
    assert tile(page, "cases-yoy").startswith("案件数（同比） 2")
    assert '<option value="dispute_funnel" selected>' in page
    options = re.search(r'<select id="filter-agency" name="agency">(.*?)</select>', page, re.S).group(1)
    assert 'value="shenjiamen" selected' in options and 'value="sjm-squad"' in options
    assert "donggang" not in options and "zs-dispatch" not in options
    city = client_of(history, "city-supervisor").get(f"/dashboard?{JUNE}").get_data(as_text=True)
    assert tile(city, "cases-yoy").startswith("案件数（同比） 5")  # Donggang's case too
    admin = client_of(history, "admin").get(f"/dashboard?{JUNE}").get_data(as_text=True)
    assert "全平台" in admin and tile(admin, "cases-yoy").startswith("案件数（同比） 5")


def test_period_presets(history):
    with time_machine.travel(datetime(2025, 6, 20, 4, 0, tzinfo=UTC), tick=False):  # 12:00 local
        client = client_of(history, "sjm-supervisor")
        assert "2025-06-14 至 2025-06-20" in client.get("/dashboard?period=last_7_days").get_data(as_text=True)
        last_month = client.get("/dashboard?period=last_month&from=2025-01-01").get_data(as_text=True)
        assert "2025-05-01 至 2025-05-31" in last_month and '<option value="last_month" selected>' in last_month
        this_month = client.get("/dashboard").get_data(as_text=True)
        assert "2025-06-01 至 2025-06-30" in this_month and '<option value="this_month" selected>' in this_month
        custom = client.get("/dashboard?period=custom&from=2025-06-01&to=2025-06-08").get_data(as_text=True)
        assert "2025-06-01 至 2025-06-07" in custom and len(chart_data(custom)["trend"]["dates"]) == 7
        weekly = chart_data(client.get("/dashboard?from=2025-03-01&to=2025-07-01").get_data(as_text=True))
        assert weekly["trend"]["dates"][:2] == ["03-01", "03-03"]  # by week from 60 days on


@pytest.mark.parametrize(("query", "field"), [
    ("tier=planet", "tier"), ("from=2025-13-01", "from"), ("period=forever", "period"), ("agency=nowhere", "agency"),
    ("process=nothing", "process"), ("from=2025-06-02&to=2025-06-01", "to"), ("from=2024-01-01&to=2025-06-01", "to"),
    ("agency=%3Cscript%3E", "agency"), ("rank=speed", "rank"), ("granularity=hour", "granularity")])
def test_bad_filters_are_a_readable_400_page(history, query, field):
    response = client_of(history, "sjm-supervisor").get(f"/dashboard?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page
    assert "(400)" in page and f"地址或表单中有无效的值：{field}。" in page


def test_only_supervisors_and_administrators_see_it_and_only_their_area(history):
    staff = client_of(history, "sjm-squad").get("/dashboard")
    assert staff.status_code == 403 and "无权" in staff.get_data(as_text=True)
    assert client_of(history, "sjm-squad").get("/dashboard/wall").status_code == 403
    outside = client_of(history, "sjm-supervisor").get(f"/dashboard?{JUNE}&agency=donggang")
    assert outside.status_code == 403 and "outside the area" in outside.get_data(as_text=True)
    assert client_of(history).get("/dashboard").status_code == 302  # to the login page


def test_the_dashboard_is_linked_from_the_nav_and_the_sla_board(history):
    supervisor = client_of(history, "sjm-supervisor")
    assert '<a href="/dashboard" >数据看板</a>' in supervisor.get("/inbox").get_data(as_text=True)
    assert 'id="dashboard-link" href="/dashboard"' in supervisor.get("/supervision").get_data(as_text=True)
    assert 'href="/dashboard"' in client_of(history, "admin").get("/processes").get_data(as_text=True)
    assert 'href="/dashboard"' not in client_of(history, "sjm-squad").get("/inbox").get_data(as_text=True)


@pytest.mark.parametrize("path", [f"/dashboard?{JUNE}&screen=wall", f"/dashboard/wall?{JUNE}"])
def test_the_wall_mode_is_dark_full_screen_without_navigation_and_reloads_itself(history, path):
    response = client_of(history, "sjm-supervisor").get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<body class="wall">' in page and '<meta http-equiv="refresh" content="300">' in page
    assert "site-nav" not in page and "skip-link" not in page and "<form" not in page
    assert "沈家门街道 · 数据看板" in page and "每 5 分钟刷新" in page
    assert chart_data(page)["theme"] == "dark"
    assert tile(page, "incidents-yoy") == "警情数（同比） 3 ▼ 同比下降 25% 去年同期：4"
    assert 'href="/dashboard?from=2025-06-01&amp;to=2025-06-01' not in page
    assert re.search(r'<a href="/dashboard\?from=2025-06-01&amp;to=2025-07-01">退出大屏模式</a>', page)


def test_english(history):
    page = client_of(history, "sjm-supervisor", lang="en").get(f"/dashboard?{JUNE}").get_data(as_text=True)
    assert '<html lang="en">' in page and "<h1>Dashboard</h1>" in page
    assert tile(page, "incidents-yoy") == "Incidents, year on year 3 ▼ down 25% year on year A year ago: 4"
    assert tile(page, "handling-time") == "Average handling time 20 h ▲ up 10 h on the previous period " \
                                          "Previous period: 10 h"
    charts = chart_data(page)
    assert charts["funnel"]["stages"][0]["name"] == "Disputes entered" and charts["funnel"]["title"] == "Dispute funnel"
    assert [s["name"] for s in charts["trend"]["series"]] == ["Cases", "Incidents", "Closed matters"]
    assert "2025-06-01 to 2025-06-30" in page and "Large-screen mode" in page

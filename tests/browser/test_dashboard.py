"""The supervision dashboard in a real browser: a street supervisor's charts at 1280 px, and the wall at 1920×1080."""

import random
import re
import shutil
from datetime import datetime, time, timedelta

import pytest

from engine.dashboard import preset_period
from engine.db import utcnow
from engine.indicators import Period
from engine.indicators.scope import add_months, local_day
from tests.browser.conftest import ARTIFACTS, log_in, screenshot, serving, watched_page
from tests.engine.history import add_case, add_incident, add_supervision, add_task

SCREENSHOTS = ARTIFACTS.parent / "docs" / "screenshots"
WALL = {"width": 1920, "height": 1080}
CHARTS = ("trend", "funnel", "ranking")
HANDLERS = ("sjm-squad", "sjm-squad", "sjm-duntou", "sjm-siwan", "sjm-office", "sjm-duntou-g1")
LEVELS = ("community",) * 5 + ("street",) * 3 + ("joint",) * 2 + ("court",)


def _text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _month(period: Period, rng: random.Random, *, busy: float) -> None:
    """A month of 沈家门's work: incidents, diversions worked by the street's agencies, visits and disputes."""
    for offset in range(period.days):
        day = datetime.combine(period.start + timedelta(days=offset), time(8))
        for hour in range(rng.randint(3, int(8 * busy))):
            add_incident(received=_text(day + timedelta(hours=hour)), police=rng.random() > 0.335)
        for number in range(rng.randint(1, 3)):
            created = day + timedelta(hours=number * 3, minutes=rng.randint(0, 50))
            hours = rng.choice((2, 3, 4, 6, 8, 12, 20, 30)) * busy
            done = created + timedelta(hours=hours)
            case = add_case(created=_text(created), completed=_text(done), closure="diverted",
                            diverted_at=_text(created + timedelta(minutes=rng.randint(10, 60) * busy)))
            due = created + timedelta(hours=24)
            late = done > due
            task = add_task(case, at=rng.choice(HANDLERS), created=_text(created), due=_text(due),
                            completed=_text(done), overdue=_text(due + timedelta(minutes=1)) if late else None)
            if late and rng.random() < 0.7:
                add_supervision(task, case, sent=_text(due + timedelta(hours=1)))
            add_task(case, at="sjm-police", created=_text(done), completed=_text(done + timedelta(hours=2)),
                     stage="return_visit", satisfied=rng.random() < 0.96)
        if offset % 2 == 0:
            level = rng.choice(LEVELS)
            created = day + timedelta(hours=1)
            add_case(process="dispute_funnel", created=_text(created),
                     completed=_text(created + timedelta(hours=rng.randint(3, 60))), resolved_level=level,
                     court_outcome="filed" if level == "court" else rng.choice(("none", "none", "confirmed")))


def _history() -> dict:
    """Last month and the month before at 沈家门 (the earlier one slower), and the same month a year ago."""
    rng = random.Random(8)
    last = preset_period("last_month", local_day(utcnow()))
    _month(Period(add_months(last.start, -1), last.start), rng, busy=1.3)
    _month(last, rng, busy=1.0)
    year_ago = Period(add_months(last.start, -12), add_months(last.end, -12))
    for offset in range(year_ago.days):
        for hour in range(8):
            add_incident(received=f"{year_ago.start + timedelta(days=offset)} {9 + hour:02d}:00", police=True)
    return {"last_month": last}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The served app with two months of constructed history at 沈家门街道."""
    with serving(tmp_path_factory, _history) as found:
        yield found


def _charts_drawn(page) -> None:
    for chart in CHARTS:
        container = page.locator(f"#chart-{chart}")
        page.wait_for_selector(f"#chart-{chart}[data-ready=true]")
        assert container.locator("canvas").count() >= 1, chart
        box = container.bounding_box()
        assert box["width"] > 200 and box["height"] > 150, (chart, box)


def test_a_supervisor_opens_the_dashboard_and_the_three_charts_render(desktop_page, live):
    page = desktop_page
    log_in(page, live, "sjm-supervisor")
    page.click("nav.site-nav >> text=数据看板")
    page.wait_for_url("**/dashboard")
    _charts_drawn(page)

    page.select_option("#filter-period", "last_month")
    page.click(".dashboard-filters button[type=submit]")
    page.wait_for_url("**/dashboard?period=last_month**")
    _charts_drawn(page)
    last = live["last_month"]
    assert f"{last.start.isoformat()} 至 {(last.end - timedelta(days=1)).isoformat()}" in \
        page.locator("#dashboard-period").inner_text()
    assert page.locator(".kpi").count() == 10
    assert re.fullmatch(r"\d+(\.\d)?%", page.locator("#kpi-closure-rate .kpi-value").inner_text())
    assert "较上期" in page.locator("#kpi-handling-time .kpi-change").inner_text()  # faster than the month before
    assert "同比下降" in page.locator("#kpi-incidents-yoy .kpi-change").inner_text()
    assert page.locator("#ranking-table tbody tr").count() >= 4

    page.locator("#funnel-title ~ details summary").click()  # the table behind the funnel
    entered = page.locator("#funnel-entered td").inner_text()
    assert int(entered) >= 10 and page.locator("#funnel-table").is_visible()
    path = screenshot(page, "dashboard-desktop")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SCREENSHOTS / "dashboard-desktop.png")

    page.select_option("#filter-agency", "sjm-duntou")  # a community of the area, ranked by overdue tasks
    page.select_option("#filter-rank", "overdue")
    page.click(".dashboard-filters button[type=submit]")
    page.wait_for_url("**agency=sjm-duntou**")
    _charts_drawn(page)
    assert page.locator("#ranking-title").inner_text() == "各单位超期任务排名"


def test_the_wall_mode_fills_a_1920_by_1080_screen_without_navigation(browser, live):
    context, page, problems = watched_page(browser, WALL)
    try:
        log_in(page, live, "sjm-supervisor")
        page.goto(f"{live['url']}/dashboard?period=last_month")
        page.click("#wall-link")
        page.wait_for_url("**/dashboard/wall?period=last_month")
        _charts_drawn(page)
        assert page.locator("nav").count() == 0 and page.locator("form").count() == 0
        assert page.locator("meta[http-equiv=refresh]").get_attribute("content") == "300"
        size = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        assert size[0] <= WALL["width"] and size[1] <= WALL["height"], size  # one screen, no scrolling
        value = page.locator("#kpi-closure-rate .kpi-value")
        assert re.fullmatch(r"\d+(\.\d)?%", value.inner_text())
        assert float(value.evaluate("node => getComputedStyle(node).fontSize").removesuffix("px")) >= 48
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(11, 18, 32)"
        screenshot(page, "dashboard-wall", full_page=False)
    finally:
        context.close()
    assert not problems, f"the browser reported errors: {problems}"

"""Each indicator's formula on a small constructed history whose answers are computed by hand.

The period is June 2025 in Asia/Shanghai; the previous period is May 2025, the year-ago one June 2024.
"""

from datetime import date

import pytest

from engine import InvalidInputError, PermissionDeniedError
from engine.calendar import WorkingCalendar
from engine.indicators import Period, Scope, check_period, indicators, resolve_scope, trend
from engine.org import get_actor
from tests.engine.history import add_case, add_incident, add_supervision, add_task, local

JUNE = Period(date(2025, 6, 1), date(2025, 7, 1))
CITY = Scope()


def values(group: dict) -> dict:
    return {name: item["value"] for name, item in group.items() if isinstance(item, dict) and "value" in item}


def test_an_empty_period_has_zero_counts_and_no_rates(demo):
    result = indicators(scope=CITY, period=JUNE)
    assert result["period"] == {"from": "2025-06-01", "to": "2025-07-01"}
    assert result["previous_period"] == {"from": "2025-05-01", "to": "2025-06-01"}
    assert result["year_ago_period"] == {"from": "2024-06-01", "to": "2024-07-01"}
    assert values(result["incidents"]) == {"total": 0, "non_police": 0, "non_police_share": None}
    handling = values(result["handling"])
    assert handling["cases"] == 0 and handling["closure_rate"] is None and handling["handling_hours_median"] is None
    assert result["handling"]["cases"] == {"value": 0, "previous": 0, "change": 0, "change_pct": None}
    assert values(result["return_visits"])["satisfaction_rate"] is None
    assert values(result["disputes"])["mediation_success_rate"] is None
    assert result["sla"]["by_agency"] == [] and result["sla"]["on_time_rate"]["value"] is None


@pytest.fixture
def june(demo):
    """Five diversions around June 2025 (local time), worked by hand below."""
    cases = {
        # 4 hours, diverted after 30 minutes
        "a": add_case(created="2025-06-02 10:00", completed="2025-06-02 14:00", closure="diverted",
                      diverted_at="2025-06-02 10:30", category="noise"),
        # 48 hours, reopened once after an unsatisfied visit, diverted after 90 minutes; one task was late
        "b": add_case(created="2025-06-10 09:00", completed="2025-06-12 09:00", closure="diverted",
                      diverted_at="2025-06-10 10:30", reopened_count=1, category="noise"),
        # taken in during June, closed in July: not closed by the end of June
        "c": add_case(created="2025-06-29 20:00", completed="2025-07-01 10:00", closure="diverted",
                      category="wage_dispute"),
        # taken in on 31 May at 23:30 local (15:30 UTC), closed in June after 2 hours
        "d": add_case(created="2025-05-31 23:30", completed="2025-06-01 01:30", closure="diverted",
                      category="noise"),
        # police business: a case, but not a diverted matter
        "e": add_case(created="2025-06-05 08:00", completed="2025-06-05 08:00", closure="police", category="theft"),
    }
    add_task(cases["a"], at="sjm-squad", created="2025-06-02 10:00", due="2025-06-02 12:00",
             completed="2025-06-02 11:00")
    add_task(cases["b"], at="sjm-squad", created="2025-06-10 09:00", due="2025-06-10 12:00",
             completed="2025-06-11 09:00")  # late
    add_task(cases["d"], at="pt-dispatch", created="2025-05-31 23:30", due="2025-06-01 00:00",
             completed="2025-05-31 23:45", stage="transfer")  # May
    return cases


def test_handling_counts_cases_by_intake_and_closures_by_their_own_time(june):
    result = indicators(scope=CITY, period=JUNE)
    handling = values(result["handling"])
    assert handling["cases"] == 4  # a, b, c, e
    assert handling["taken_in"] == 3  # not e, police business
    assert handling["closed_by_period_end"] == 2  # a, b (c closed in July)
    assert handling["closure_rate"] == pytest.approx(66.67)
    assert handling["closed"] == 3  # a, b, d
    assert handling["handling_hours_avg"] == pytest.approx((4 + 48 + 2) / 3)
    assert handling["handling_hours_median"] == pytest.approx(4)
    assert handling["on_time_closure_rate"] == pytest.approx(66.67)  # b had a late task
    assert handling["divert_minutes_avg"] == pytest.approx(60)  # (30 + 90) / 2; c never reached a handler
    # May: d only, taken in and not closed by 1 June 00:00 local
    assert result["handling"]["closure_rate"]["previous"] == 0
    assert result["handling"]["cases"]["previous"] == 1
    assert result["handling"]["closure_rate"]["change"] == pytest.approx(66.67)
    assert values(result["return_visits"])["redo_rate"] == pytest.approx(33.33)  # b of a, b, d


def test_the_filters_narrow_every_count(june):
    add_case(created="2025-06-03 10:00", completed="2025-06-03 11:00", closure="diverted", location="dg-haihua-g1",
             category="noise")
    sjm = resolve_scope(actor=None, agency_code="shenjiamen")
    assert values(indicators(scope=sjm, period=JUNE)["handling"])["cases"] == 4
    assert values(indicators(scope=CITY, period=JUNE)["handling"])["cases"] == 5
    noise = Scope(category="noise")
    assert values(indicators(scope=noise, period=JUNE)["handling"])["closed"] == 4  # a, b, d and Donggang's
    disputes = Scope(process_id="dispute_funnel")
    assert values(indicators(scope=disputes, period=JUNE)["handling"])["cases"] == 0
    # a and b were handled by the street squad (street tier), nothing at district tier
    street = Scope(tier="street")
    assert values(indicators(scope=street, period=JUNE)["handling"])["cases"] == 2
    assert values(indicators(scope=Scope(tier="district"), period=JUNE)["handling"])["cases"] == 0


def test_return_visits_satisfaction_and_return_rates(demo):
    case = add_case(created="2025-06-02 10:00", closure=None)
    for satisfied in (True, True, True, False):
        add_task(case, at="sjm-police", created="2025-06-03 10:00", completed="2025-06-03 11:00",
                 stage="return_visit", satisfied=satisfied)
    add_task(case, at="sjm-squad", created="2025-06-02 10:00", completed="2025-06-02 10:10", status="returned")
    add_task(case, at="sjm-squad", created="2025-06-02 10:00", status="cancelled")  # never closed: not counted
    got = values(indicators(scope=CITY, period=JUNE)["return_visits"])
    assert (got["visits"], got["satisfied"], got["satisfaction_rate"]) == (4, 3, 75.0)
    assert (got["tasks_closed"], got["returned"], got["return_rate"]) == (5, 1, 20.0)


def test_the_dispute_funnel(demo):
    funnel = "dispute_funnel"
    add_case(process=funnel, created="2025-06-01 09:00", completed="2025-06-01 12:00", resolved_level="community",
             court_outcome="none")
    add_case(process=funnel, created="2025-06-02 09:00", completed="2025-06-05 12:00", resolved_level="street",
             court_outcome="confirmed")
    add_case(process=funnel, created="2025-06-03 09:00", completed="2025-06-09 12:00", resolved_level="joint",
             court_outcome="none")
    add_case(process=funnel, created="2025-06-04 09:00", completed="2025-06-20 12:00", resolved_level="court",
             court_outcome="filed")
    add_case(process=funnel, created="2025-06-20 09:00")  # still in mediation
    add_case(process=funnel, created="2025-06-25 09:00", completed="2025-07-02 12:00", resolved_level="community",
             court_outcome="none")  # closed after the period: open at its end
    got = indicators(scope=CITY, period=JUNE)["disputes"]
    assert values(got) == {"entered": 6, "closed": 4, "open": 2, "judicially_confirmed": 1,
                           "mediation_success_rate": 75.0, "resolved_without_court_share": 50.0}
    assert {level: item["value"] for level, item in got["resolved_at"].items()} == {
        "community": 1, "street": 1, "joint": 1, "court": 1}


def test_sla_on_time_by_agency_and_tier_with_a_holiday(demo):
    # 30 September 2025 10:00 + 2 working days: 1-8 October is the National Day holiday, so the deadline is
    # 10 October 10:00. Done on 9 October, the task is on time; a weekends-only count would call it late.
    due = WorkingCalendar().add_working_days(local("2025-09-30 10:00"), 2)
    assert due == local("2025-10-10 10:00")
    case = add_case(created="2025-09-30 10:00")
    add_task(case, at="sjm-squad", created="2025-09-30 10:00", due=due, completed="2025-10-09 16:00")
    late = add_task(case, at="pt-dispatch", created="2025-10-09 10:00", due="2025-10-09 10:30",
                    completed="2025-10-09 12:00", overdue="2025-10-09 10:31", stage="transfer")
    add_task(case, at="pt-dispatch", created="2025-10-13 10:00", due="2025-10-13 10:30", overdue="2025-10-13 10:31",
             stage="transfer")  # still open
    add_supervision(late, case, sent="2025-10-09 14:31")
    add_supervision(late, case, sent="2025-10-09 10:31", kind="reminder")  # not a supervision notice
    october = Period(date(2025, 10, 1), date(2025, 11, 1))
    sla = indicators(scope=CITY, period=october)["sla"]
    assert values(sla) == {"tasks_with_deadline": 2, "on_time": 1, "on_time_rate": 50.0, "overdue": 2,
                           "supervision_notices": 1}
    assert [(row["agency"], row["tier"], row["with_deadline"], row["on_time"], row["on_time_rate"], row["overdue"],
             row["supervision_notices"]) for row in sla["by_agency"]] == [
        ("pt-dispatch", "district", 1, 0, 0.0, 2, 1), ("sjm-squad", "street", 1, 1, 100.0, 0, 0)]
    assert [(row["tier"], row["on_time_rate"]) for row in sla["by_tier"]] == [("district", 0.0), ("street", 100.0)]
    street = indicators(scope=Scope(tier="street"), period=october)["sla"]
    assert values(street)["on_time_rate"] == 100.0 and values(street)["overdue"] == 0


def test_incidents_and_year_on_year(demo):
    for day in ("2025-06-01 00:10", "2025-06-10 12:00", "2025-06-30 23:50"):
        add_incident(received=day, police=True)
    add_incident(received="2025-06-15 12:00", police=False, location="dg-haihua-g1")
    add_incident(received="2025-05-31 23:50", police=False)  # May, local time
    for _ in range(5):
        add_incident(received="2024-06-15 12:00", police=True)
    add_case(created="2025-06-02 10:00")
    add_case(created="2024-06-02 10:00")
    add_case(created="2024-06-03 10:00")
    result = indicators(scope=CITY, period=JUNE)
    assert values(result["incidents"]) == {"total": 4, "non_police": 1, "non_police_share": 25.0}
    assert result["incidents"]["total"]["previous"] == 1
    assert result["year_on_year"]["incidents"] == {"value": 4, "previous": 5, "change": -1, "change_pct": -20.0}
    assert result["year_on_year"]["cases"] == {"value": 1, "previous": 2, "change": -1, "change_pct": -50.0}
    sjm = indicators(scope=resolve_scope(actor=None, agency_code="shenjiamen"), period=JUNE)
    assert values(sjm["incidents"])["total"] == 3


def test_trend_by_day_and_by_week(june):
    days = trend(scope=CITY, period=JUNE, metric="cases", granularity="day")
    assert len(days["points"]) == 30
    assert {p["start"]: p["value"] for p in days["points"] if p["value"]} == {
        "2025-06-02": 1, "2025-06-05": 1, "2025-06-10": 1, "2025-06-29": 1}
    weeks = trend(scope=CITY, period=JUNE, metric="closed", granularity="week")
    # 1 June 2025 is a Sunday: the first week is that day alone, then Monday to Sunday
    assert [p["start"] for p in weeks["points"]] == ["2025-06-01", "2025-06-02", "2025-06-09", "2025-06-16",
                                                     "2025-06-23", "2025-06-30"]
    assert [p["value"] for p in weeks["points"]] == [1, 1, 1, 0, 0, 0]
    with pytest.raises(InvalidInputError) as error:
        trend(scope=CITY, period=JUNE, metric="nonsense", granularity="month")
    assert set(error.value.details) == {"metric", "granularity"}


def test_who_may_ask_and_bad_filters(demo):
    with pytest.raises(InvalidInputError) as error:
        resolve_scope(actor=None, agency_code="nowhere", tier="planet", process_id="nothing")
    assert set(error.value.details) == {"agency", "tier", "process"}
    with pytest.raises(InvalidInputError):
        check_period(date(2025, 6, 2), date(2025, 6, 1))
    supervisor = get_actor("sjm-supervisor")
    assert resolve_scope(actor=supervisor).agency_code == "shenjiamen"
    assert resolve_scope(actor=supervisor, agency_code="sjm-duntou").agency_code == "sjm-duntou"
    with pytest.raises(PermissionDeniedError):
        resolve_scope(actor=supervisor, agency_code="donggang")
    with pytest.raises(PermissionDeniedError):
        resolve_scope(actor=get_actor("sjm-squad"))
    assert resolve_scope(actor=get_actor("admin")).agency_path is None

"""Every row of the diversion decision tables, through the effect of its outputs on a real case.

The cases start in Donggang (浦西社区), so the street's own agencies are the dg-* ones.
"""

import pytest

from engine import get_case
from processes.diversion import assess_priority
from processes.forms import load_form
from tests.scenarios.test_diversion import (
    CITY,
    DEPARTMENT_DONE,
    DISTRICT,
    FEEDBACK,
    NOT_SETTLED,
    SATISFIED,
    SETTLED,
    UNSATISFIED,
    Diversion,
    trail,
)

LOCATION = "dg-puxi-g1"
POLICE_CATEGORIES = ["theft", "assault", "traffic_accident", "fraud"]
# category -> the agency a matter not settled on site is handed to, and the user who acts for it
STREET_TIER = {
    "noise": ("dg-puxi", "dg-puxi"),
    "property_damage": ("dg-puxi", "dg-puxi"),
    "neighbour_dispute": ("dg-puxi", "dg-puxi"),
    "illegal_parking": ("dg-office", "dg-office"),
    "stray_animal": ("dg-office", "dg-office"),
    "injury_compensation": ("pt-justice", "pt-mediator"),
    "other": ("dg-office", "dg-office"),  # the default row
}
# category -> the department district dispatch hands the matter to directly
DISTRICT_TIER = {
    "wage_dispute": ("pt-labour", "pt-labour"),
    "fishing_dispute": ("pt-maritime", "pt-maritime"),
    "consumer_dispute": ("pt-market", "pt-market"),
}


def incident(category: str) -> dict:
    return {"category": category, "location": LOCATION, "description": "测试警情"}


def dispatched(category: str) -> Diversion:
    case = Diversion(incident(category), username="dg-police")
    case.work("Task_CityDispatch", "zs-dispatch", "city-dispatcher", CITY)
    return case.work("Task_DistrictDispatch", "pt-dispatch", "pt-dispatcher", DISTRICT)


def closed(case: Diversion) -> bool:
    view = get_case(case.id)
    return view.status == "completed" and view.open_tasks == []


def test_the_tests_cover_every_category_of_the_start_form():
    categories = set(load_form("diversion_start")["properties"]["category"]["enum"])
    assert categories == set(POLICE_CATEGORIES) | set(STREET_TIER) | set(DISTRICT_TIER)


# classify_incident ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("category", POLICE_CATEGORIES)
def test_police_business_ends_the_case_at_once(demo, category):
    case = Diversion(incident(category), username="dg-police")
    assert closed(case)
    assert trail(case.id) == []


@pytest.mark.parametrize("category", sorted(STREET_TIER))
def test_street_tier_matters_go_to_the_squad_and_then_to_their_target(demo, category):
    agency, username = STREET_TIER[category]
    case = dispatched(category)
    case.work("Task_OnSiteHandling", "dg-squad", "dg-squad", NOT_SETTLED)
    case.work("Task_DivDepartmentHandling", agency, username, DEPARTMENT_DONE)
    case.expect("Task_DivSquadTracking", "dg-squad")


@pytest.mark.parametrize("category", sorted(DISTRICT_TIER))
def test_district_tier_matters_go_straight_to_their_department(demo, category):
    agency, username = DISTRICT_TIER[category]
    case = dispatched(category)
    case.work("Task_DivDepartmentHandling", agency, username, DEPARTMENT_DONE)
    case.expect("Task_DivDistrictTracking", "pt-dispatch")
    assert not any(row[0] == "Task_OnSiteHandling" for row in trail(case.id))


# diversion_reroute ----------------------------------------------------------------------------------------------

def returned_by_the_squad(category: str = "noise") -> Diversion:
    return dispatched(category).give_back("Task_OnSiteHandling", "dg-squad", "dg-squad", "分错了")


def test_reroute_street_sends_a_district_matter_to_the_squad_and_the_squad_tracks_it(demo):
    case = dispatched("wage_dispute").give_back("Task_DivDepartmentHandling", "pt-labour", "pt-labour", "不涉及劳资")
    case.work("Task_DivDistrictRuling", "pt-dispatch", "pt-dispatcher",
              {"ruling": "reroute_street", "target_kind": "community", "ruling_note": "下派街道"})
    case.work("Task_OnSiteHandling", "dg-squad", "dg-squad", NOT_SETTLED)
    case.work("Task_DivDepartmentHandling", "dg-puxi", "dg-puxi", DEPARTMENT_DONE)
    case.expect("Task_DivSquadTracking", "dg-squad")  # tier became "street"


def test_reroute_department_sends_a_street_matter_to_the_chosen_kind_and_the_district_tracks_it(demo):
    case = returned_by_the_squad()
    case.work("Task_DivDistrictRuling", "pt-dispatch", "pt-dispatcher",
              {"ruling": "reroute_department", "target_kind": "justice_office", "ruling_note": "改派司法所"})
    case.work("Task_DivDepartmentHandling", "pt-justice", "pt-mediator", DEPARTMENT_DONE)
    case.expect("Task_DivDistrictTracking", "pt-dispatch")  # tier became "district"


def test_a_ruling_without_a_kind_keeps_the_classified_target(demo):
    case = returned_by_the_squad("noise")
    case.work("Task_DivDistrictRuling", "pt-dispatch", "pt-dispatcher",
              {"ruling": "reroute_department", "ruling_note": "交社区调处"})
    case.expect("Task_DivDepartmentHandling", "dg-puxi")


def test_close_misrouted_ends_the_case_at_the_district(demo):
    case = returned_by_the_squad()
    case.work("Task_DivDistrictRuling", "pt-dispatch", "pt-dispatcher",
              {"ruling": "close_misrouted", "ruling_note": "收回"})
    assert closed(case)


@pytest.mark.parametrize(("category", "ruling", "next_task", "agency"), [
    ("wage_dispute", {"ruling": "reroute_street"}, "Task_OnSiteHandling", "dg-squad"),
    ("noise", {"ruling": "reroute_department", "target_kind": "market_regulation"},
     "Task_DivDepartmentHandling", "pt-market"),
])
def test_the_city_ruling_sends_the_matter_down_through_the_district_again(demo, category, ruling, next_task,
                                                                          agency):
    case = Diversion(incident(category), username="dg-police")
    case.work("Task_CityDispatch", "zs-dispatch", "city-dispatcher", CITY)
    case.give_back("Task_DistrictDispatch", "pt-dispatch", "pt-dispatcher", "层级不对")
    case.work("Task_DivCityRuling", "zs-dispatch", "city-dispatcher", {**ruling, "ruling_note": "重新下派"})
    case.work("Task_DistrictDispatch", "pt-dispatch", "pt-dispatcher", DISTRICT)
    case.expect(next_task, agency)


def test_close_misrouted_ends_the_case_at_the_city(demo):
    case = Diversion(incident("noise"), username="dg-police")
    case.work("Task_CityDispatch", "zs-dispatch", "city-dispatcher", CITY)
    case.give_back("Task_DistrictDispatch", "pt-dispatch", "pt-dispatcher", "不属本区")
    case.work("Task_DivCityRuling", "zs-dispatch", "city-dispatcher",
              {"ruling": "close_misrouted", "ruling_note": "收回"})
    assert closed(case)


# diversion_visit_outcome ----------------------------------------------------------------------------------------

def visits(unsatisfied: int) -> Diversion:
    """A noise case visited `unsatisfied` times with an unsatisfied answer."""
    case = dispatched("noise")
    for _ in range(unsatisfied):
        case.work("Task_OnSiteHandling", "dg-squad", "dg-squad", SETTLED)
        case.work("Task_PoliceFeedback", "dg-police", "dg-police", FEEDBACK)
        case.work("Task_ReturnVisit", "dg-police", "dg-police", UNSATISFIED)
    return case


@pytest.mark.parametrize("redos", [0, 1, 2])
def test_a_satisfied_visit_closes_the_case_whatever_the_redo_count(demo, redos):
    case = visits(redos)
    case.work("Task_OnSiteHandling", "dg-squad", "dg-squad", SETTLED)
    case.work("Task_PoliceFeedback", "dg-police", "dg-police", FEEDBACK)
    case.work("Task_ReturnVisit", "dg-police", "dg-police", SATISFIED)
    assert closed(case)


@pytest.mark.parametrize("unsatisfied", [1, 2])
def test_an_unsatisfied_visit_before_two_redos_reopens_handling(demo, unsatisfied):
    case = visits(unsatisfied)
    case.expect("Task_OnSiteHandling", "dg-squad")


def test_the_third_unsatisfied_visit_goes_to_the_street_supervisor(demo):
    case = visits(3)
    case.expect("Task_DivStreetReview", "donggang")
    case.work("Task_DivStreetReview", "donggang", "dg-supervisor",
              {"review_conclusion": "referred_to_mediation", "review_note": "引导申请人民调解"})
    assert closed(case)


# the assess_priority service ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("category", "description", "priority"), [
    ("wage_dispute", "讨薪", "high"),
    ("noise", "楼上装修噪声扰民", "normal"),
    ("noise", "双方打架，一人受伤", "high"),
    ("other", "", "normal"),
])
def test_assess_priority_by_category_or_description(category, description, priority):
    assert assess_priority(category, description) == {"priority": priority}

"""The non-police diversion chain (市—区—街道三级分流), driven through the engine's commands as the demo users."""

from sqlalchemy import select
from sqlalchemy.orm import aliased

from engine import claim_task, complete_task, get_case, return_task, start_case
from engine.db import db
from engine.models import Agency, Task, User

WALL = {
    "category": "property_damage", "location": "sjm-duntou-g1", "caller_phone": "13800138000",
    "description": "某公司墙体被电动手推车撞裂，双方就赔偿事宜发生争执", "reported_at": "2024-05-10T09:30:00+08:00",
}
NOISE = {"category": "noise", "location": "sjm-duntou-g1", "description": "楼上深夜装修噪声扰民"}
WAGES = {"category": "wage_dispute", "location": "sjm-siwan-g1", "description": "渔船雇工讨要工资与船老大发生争执"}

CITY = {"city_dispatch_note": "非警务类事项，转区指挥中心分流"}
DISTRICT = {"district_dispatch_note": "按承办层级下派"}
SETTLED = {"handling_measures": "社区、司法所工作人员到场调处，双方当场达成赔偿协议", "handled_on_site": True}
NOT_SETTLED = {"handling_measures": "到场劝导，双方分歧较大", "handled_on_site": False}
FEEDBACK = {"handling_result": "mediated", "feedback_summary": "已调处，双方达成赔偿协议"}
SATISFIED = {"satisfied": True, "visit_method": "phone", "visit_note": "当事双方均对处置结果满意"}
UNSATISFIED = {"satisfied": False, "visit_method": "phone", "visit_note": "当事人认为赔偿未落实"}
TRACKED = {"tracking_method": "phone", "tracking_note": "已核实承办单位办结"}
DEPARTMENT_DONE = {"department_measures": "约谈双方，组织调解", "department_result": "mediated"}


class Diversion:
    """One case of the diversion process, worked step by step; every step checks where the case stands."""

    def __init__(self, data: dict, username: str | None = "sjm-police"):
        self.view = start_case(process_id="diversion", data=data, username=username)
        self.id = self.view.id

    @property
    def task(self):
        [task] = self.view.open_tasks
        return task

    def expect(self, bpmn_id: str, agency: str):
        task = self.task
        assert (task.bpmn_id, task.agency_code) == (bpmn_id, agency)
        return task

    def work(self, bpmn_id: str, agency: str, username: str, data: dict) -> "Diversion":
        task = self.expect(bpmn_id, agency)
        claim_task(task_id=task.id, username=username)
        self.view = complete_task(task_id=task.id, username=username, data=data)
        return self

    def give_back(self, bpmn_id: str, agency: str, username: str, reason: str) -> "Diversion":
        task = self.expect(bpmn_id, agency)
        claim_task(task_id=task.id, username=username)
        self.view = return_task(task_id=task.id, username=username, reason=reason)
        return self

    def dispatch_down(self) -> "Diversion":
        self.work("Task_CityDispatch", "zs-dispatch", "city-dispatcher", CITY)
        return self.work("Task_DistrictDispatch", "pt-dispatch", "pt-dispatcher", DISTRICT)

    def feedback_and_visit(self, visit: dict, police: str = "sjm-police") -> "Diversion":
        self.work("Task_PoliceFeedback", police, police, FEEDBACK)
        return self.work("Task_ReturnVisit", police, police, visit)


def trail(case_id: int) -> list[tuple]:
    """Every task row of a case in order: (BPMN id, candidate agency, status, stage, who finished it)."""
    finisher = aliased(User)
    rows = db.session.execute(
        select(Task.bpmn_id, Agency.code, Task.status, Task.stage, finisher.username)
        .outerjoin(Agency, Task.candidate_agency_id == Agency.id)
        .outerjoin(finisher, Task.completed_by_id == finisher.id)
        .where(Task.case_id == case_id).order_by(Task.id)).all()
    return [tuple(row) for row in rows]


def completed_by(case_id: int) -> list[str]:
    return [event.actor for event in get_case(case_id).events if event.event == "completed"]


def assert_closed(case: Diversion) -> None:
    view = get_case(case.id)
    assert view.status == "completed" and view.completed_at is not None
    assert view.open_tasks == []
    assert view.events[-1].event == "case_completed"


def test_a_cracked_company_wall_is_mediated_on_site_and_closed_satisfied(demo):
    case = Diversion(WALL).dispatch_down()
    case.work("Task_OnSiteHandling", "sjm-squad", "sjm-squad", SETTLED).feedback_and_visit(SATISFIED)

    assert_closed(case)
    assert trail(case.id) == [
        ("Task_CityDispatch", "zs-dispatch", "completed", "transfer", "city-dispatcher"),
        ("Task_DistrictDispatch", "pt-dispatch", "completed", "transfer", "pt-dispatcher"),
        ("Task_OnSiteHandling", "sjm-squad", "completed", "handling", "sjm-squad"),
        ("Task_PoliceFeedback", "sjm-police", "completed", "feedback", "sjm-police"),
        ("Task_ReturnVisit", "sjm-police", "completed", "return_visit", "sjm-police"),
    ]
    events = get_case(case.id).events
    assert events[0].event == "case_started" and events[0].actor == "sjm-police"
    assert events[0].data["reported_at"] == "2024-05-10T09:30:00+08:00"


def test_a_wall_not_settled_on_site_is_handed_to_the_community_and_tracked_by_the_squad(demo):
    case = Diversion(WALL).dispatch_down()
    case.work("Task_OnSiteHandling", "sjm-squad", "sjm-squad", NOT_SETTLED)
    case.work("Task_DivDepartmentHandling", "sjm-duntou", "sjm-duntou", DEPARTMENT_DONE)
    case.work("Task_DivSquadTracking", "sjm-squad", "sjm-squad", TRACKED)
    case.feedback_and_visit(SATISFIED)

    assert_closed(case)
    assert [(bpmn_id, agency, stage) for bpmn_id, agency, _, stage, _ in trail(case.id)][2:5] == [
        ("Task_OnSiteHandling", "sjm-squad", "handling"),
        ("Task_DivDepartmentHandling", "sjm-duntou", "handling"),
        ("Task_DivSquadTracking", "sjm-squad", "tracking"),
    ]
    assert completed_by(case.id) == ["city-dispatcher", "pt-dispatcher", "sjm-squad", "sjm-duntou", "sjm-squad",
                                     "sjm-police", "sjm-police"]


def test_a_matter_returned_at_the_street_is_rerouted_by_the_district_to_the_right_agency(demo):
    case = Diversion({**NOISE, "category": "other", "description": "网购商品质量纠纷，商家拒绝退货"}).dispatch_down()
    case.give_back("Task_OnSiteHandling", "sjm-squad", "sjm-squad", "属消费纠纷，应由市场监管所处理")
    case.work("Task_DivDistrictRuling", "pt-dispatch", "pt-dispatcher", {
        "ruling": "reroute_department", "target_kind": "market_regulation", "ruling_note": "改派市场监管所"})
    case.work("Task_DivDepartmentHandling", "pt-market", "pt-market",
              {"department_measures": "约谈商家，责令退货", "department_result": "resolved"})
    # The district sent it to the department, so the district tracks it; the squad is out of it.
    case.work("Task_DivDistrictTracking", "pt-dispatch", "pt-dispatcher", TRACKED)
    case.feedback_and_visit(SATISFIED)

    assert_closed(case)
    assert [(bpmn_id, agency, status) for bpmn_id, agency, status, _, _ in trail(case.id)] == [
        ("Task_CityDispatch", "zs-dispatch", "completed"),
        ("Task_DistrictDispatch", "pt-dispatch", "completed"),
        ("Task_OnSiteHandling", "sjm-squad", "returned"),
        ("Task_DivDistrictRuling", "pt-dispatch", "completed"),
        ("Task_DivDepartmentHandling", "pt-market", "completed"),
        ("Task_DivDistrictTracking", "pt-dispatch", "completed"),
        ("Task_PoliceFeedback", "sjm-police", "completed"),
        ("Task_ReturnVisit", "sjm-police", "completed"),
    ]
    returned = [event for event in get_case(case.id).events if event.event == "returned"]
    assert [(event.actor, event.data["return_reason"]) for event in returned] == [
        ("sjm-squad", "属消费纠纷，应由市场监管所处理")]


def test_a_matter_returned_at_the_street_can_be_sent_down_to_the_squad_again(demo):
    case = Diversion(NOISE).dispatch_down()
    case.give_back("Task_OnSiteHandling", "sjm-squad", "sjm-squad", "疑似不在本街道辖区")
    case.work("Task_DivDistrictRuling", "pt-dispatch", "pt-dispatcher",
              {"ruling": "reroute_street", "ruling_note": "已核实事发地在墩头社区，请到场处置"})
    case.work("Task_OnSiteHandling", "sjm-squad", "sjm-squad", SETTLED).feedback_and_visit(SATISFIED)

    assert_closed(case)
    on_site = [row[2] for row in trail(case.id) if row[0] == "Task_OnSiteHandling"]
    assert on_site == ["returned", "completed"]


def test_the_district_can_take_back_a_misrouted_matter_and_close_it(demo):
    case = Diversion(NOISE).dispatch_down()
    case.give_back("Task_OnSiteHandling", "sjm-squad", "sjm-squad", "系重复报警，已由物业处理完毕")
    case.work("Task_DivDistrictRuling", "pt-dispatch", "pt-dispatcher",
              {"ruling": "close_misrouted", "ruling_note": "重复报警，收回办结"})

    assert_closed(case)
    assert [row[0] for row in trail(case.id)][-1] == "Task_DivDistrictRuling"


def test_a_matter_the_city_returns_is_ruled_by_the_police_station(demo):
    taken_back = Diversion(NOISE)
    taken_back.give_back("Task_CityDispatch", "zs-dispatch", "city-dispatcher", "涉嫌故意毁坏财物，属警务类")
    taken_back.work("Task_DivPoliceRuling", "sjm-police", "sjm-police",
                    {"police_ruling": "take_back", "ruling_note": "由公安收回处置"})
    assert_closed(taken_back)
    assert [row[0] for row in trail(taken_back.id)] == ["Task_CityDispatch", "Task_DivPoliceRuling"]

    re_diverted = Diversion(NOISE)
    re_diverted.give_back("Task_CityDispatch", "zs-dispatch", "city-dispatcher", "请核实是否警务类")
    re_diverted.work("Task_DivPoliceRuling", "sjm-police", "sjm-police",
                     {"police_ruling": "re_divert", "ruling_note": "确属非警务类事项"})
    re_diverted.dispatch_down()
    re_diverted.expect("Task_OnSiteHandling", "sjm-squad")


def test_a_matter_the_district_returns_is_ruled_by_the_city(demo):
    rerouted = Diversion(NOISE)
    rerouted.work("Task_CityDispatch", "zs-dispatch", "city-dispatcher", CITY)
    rerouted.give_back("Task_DistrictDispatch", "pt-dispatch", "pt-dispatcher", "实为拖欠工资纠纷")
    rerouted.work("Task_DivCityRuling", "zs-dispatch", "city-dispatcher",
                  {"ruling": "reroute_department", "target_kind": "labour_bureau", "ruling_note": "改派人力社保局"})
    rerouted.work("Task_DistrictDispatch", "pt-dispatch", "pt-dispatcher", DISTRICT)
    rerouted.expect("Task_DivDepartmentHandling", "pt-labour")

    closed = Diversion(NOISE)
    closed.work("Task_CityDispatch", "zs-dispatch", "city-dispatcher", CITY)
    closed.give_back("Task_DistrictDispatch", "pt-dispatch", "pt-dispatcher", "事发地不在本区")
    closed.work("Task_DivCityRuling", "zs-dispatch", "city-dispatcher",
                {"ruling": "close_misrouted", "ruling_note": "转外区处理，本区收回"})
    assert_closed(closed)


def test_an_unsatisfied_return_visit_reopens_handling_and_the_second_visit_is_satisfied(demo):
    case = Diversion(NOISE).dispatch_down()
    case.work("Task_OnSiteHandling", "sjm-squad", "sjm-squad", SETTLED).feedback_and_visit(UNSATISFIED)
    assert get_case(case.id).status == "running"
    case.work("Task_OnSiteHandling", "sjm-squad", "sjm-squad", SETTLED).feedback_and_visit(SATISFIED)

    assert_closed(case)
    bpmn_ids = [row[0] for row in trail(case.id)]
    assert bpmn_ids.count("Task_OnSiteHandling") == 2 and bpmn_ids.count("Task_ReturnVisit") == 2
    assert bpmn_ids.count("Task_CityDispatch") == 1  # the redo does not travel the chain again


def test_after_two_redos_the_street_supervisor_reviews_and_the_case_closes_unsatisfied(demo):
    case = Diversion(NOISE).dispatch_down()
    for _ in range(3):
        case.work("Task_OnSiteHandling", "sjm-squad", "sjm-squad", SETTLED).feedback_and_visit(UNSATISFIED)
    case.work("Task_DivStreetReview", "shenjiamen", "sjm-supervisor",
              {"review_conclusion": "closed_explained", "review_note": "处置到位，已解释说明"})

    assert_closed(case)
    rows = trail(case.id)
    assert [row[0] for row in rows].count("Task_OnSiteHandling") == 3
    assert rows[-1] == ("Task_DivStreetReview", "shenjiamen", "completed", "tracking", "sjm-supervisor")


def test_police_business_ends_at_once_with_no_task(demo):
    case = start_case(process_id="diversion", data={**NOISE, "category": "theft", "description": "电动车被盗"})
    assert case.status == "completed" and case.open_tasks == []
    assert [event.event for event in get_case(case.id).events] == ["case_started", "case_completed"]
    assert trail(case.id) == []


def test_a_wage_dispute_goes_from_district_dispatch_to_the_labour_bureau_not_the_street(demo):
    case = Diversion(WAGES).dispatch_down()
    case.work("Task_DivDepartmentHandling", "pt-labour", "pt-labour",
              {"department_measures": "责令限期支付拖欠工资", "department_result": "resolved"})
    case.work("Task_DivDistrictTracking", "pt-dispatch", "pt-dispatcher", TRACKED)
    case.feedback_and_visit(SATISFIED)

    assert_closed(case)
    rows = trail(case.id)
    assert [row[0] for row in rows] == ["Task_CityDispatch", "Task_DistrictDispatch", "Task_DivDepartmentHandling",
                                        "Task_DivDistrictTracking", "Task_PoliceFeedback", "Task_ReturnVisit"]
    assert not any(agency.endswith("-squad") for _, agency, *_ in rows)
    assert completed_by(case.id)[2] == "pt-labour"


def test_an_unsatisfied_district_tier_visit_sends_the_matter_back_to_the_department(demo):
    case = Diversion(WAGES).dispatch_down()
    case.work("Task_DivDepartmentHandling", "pt-labour", "pt-labour", DEPARTMENT_DONE)
    case.work("Task_DivDistrictTracking", "pt-dispatch", "pt-dispatcher", TRACKED)
    case.feedback_and_visit(UNSATISFIED)
    case.expect("Task_DivDepartmentHandling", "pt-labour")


def test_a_department_return_is_ruled_by_the_district_and_sent_to_the_street(demo):
    case = Diversion(WAGES).dispatch_down()
    case.give_back("Task_DivDepartmentHandling", "pt-labour", "pt-labour", "不涉及劳资关系，系邻里口角")
    case.work("Task_DivDistrictRuling", "pt-dispatch", "pt-dispatcher",
              {"ruling": "reroute_street", "target_kind": "community", "ruling_note": "下派街道，未办结交社区调处"})
    case.work("Task_OnSiteHandling", "sjm-squad", "sjm-squad", NOT_SETTLED)
    case.work("Task_DivDepartmentHandling", "sjm-siwan", "sjm-siwan", DEPARTMENT_DONE)
    case.work("Task_DivSquadTracking", "sjm-squad", "sjm-squad", TRACKED)
    case.feedback_and_visit(SATISFIED)
    assert_closed(case)

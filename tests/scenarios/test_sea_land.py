"""The sea-land linkage (海陆联动, 海上事陆上解) end to end, as the demo agencies' staff would work it.

A dispute at sea is taken in at the station (平安小苑); the maritime agencies the decision table names
verify it in parallel (one task per agency); the station mediates on land; an agreement is recorded
(amount paid, people helped) or the dispute goes to the shared court; the station visits the fishermen
and the case closes.
"""

import pytest
from SpiffWorkflow.util.task import TaskState

from engine import PermissionDeniedError, case_store, claim_task, get_case, start_case
from engine.db import db
from engine.models import Task
from engine.runtime import parsed_version
from engine.serialization import load_workflow
from tests.steps import handled, only, work

PROCESS = "sea_land"
# 帮助解决渔民劳资纠纷11人次，涉及金额27万余元
WAGES = {"dispute_type": "wage_arrears", "vessel": "浙普渔12345", "crew_count": 11, "amount": 270000,
         "summary": "船东拖欠11名渔民工资共27万余元", "location": "sjm-duntou-g1", "phone": "13800138000"}
COLLISION = {"dispute_type": "vessel_collision", "vessel": "浙岱渔03021", "crew_count": 2, "amount": 80000,
             "summary": "两艘渔船在渔港外碰撞，船体受损", "location": "sjm-siwan-g1"}
VISIT = {"satisfied": True, "visit_method": "phone", "visit_note": "渔民表示工资已全部到账"}


def completed_data(case_id: int, bpmn_id: str) -> list[dict]:
    return [event.data for event in get_case(case_id).events
            if event.event == "completed" and db.session.get(Task, event.task_id).bpmn_id == bpmn_id]


def created(case_id: int) -> list[tuple[str, str]]:
    return [(e.data["bpmn_id"], e.data["agency"]) for e in get_case(case_id).events if e.event == "task_created"]


def stored_workflow(case_id: int):
    case = case_store.load_case(case_id)
    return load_workflow(case_store.load_state(case_id),
                         parsed_version(case.process_version_id, case.content_hash, case.process_id))


def case_data(case_id: int) -> dict:
    """The data the workflow of a completed case ended with."""
    workflow = stored_workflow(case_id)
    assert workflow.is_completed()
    return workflow.data


def open_task_data(case_id: int, bpmn_id: str) -> dict:
    """The data an open user task sees (what its form is shown with)."""
    [task] = stored_workflow(case_id).get_tasks(state=TaskState.READY, manual=True, spec_name=bpmn_id)
    return task.data


def test_unpaid_fishing_crew_wages_are_resolved_through_sea_land_linkage(demo):
    case = start_case(process_id=PROCESS, data=WAGES, username="sjm-station")
    assert case.status == "running" and case.title == WAGES["summary"]

    # Routed to the labour bureau and the maritime office, who verify in parallel.
    labour, maritime = case.open_tasks
    assert [(t.bpmn_id, t.agency_code, t.stage, t.form) for t in (labour, maritime)] == [
        ("SeaLand_Task_Verify", "pt-labour", "handling", "sea_land_verification"),
        ("SeaLand_Task_Verify", "pt-maritime", "handling", "sea_land_verification")]
    with pytest.raises(PermissionDeniedError):  # each agency works only its own instance
        claim_task(task_id=labour.id, username="pt-maritime")
    case = work(labour.id, "pt-labour", {"facts_confirmed": True, "amount_confirmed": 270000,
                                         "verification_note": "已核实船员名册和工资欠条，11人共欠薪27万元"})
    only(case, "SeaLand_Task_Verify", "pt-maritime")  # mediation waits for every agency
    case = work(maritime.id, "pt-maritime", {"facts_confirmed": True, "amount_confirmed": 270000,
                                             "verification_note": "已核实船舶登记和出海记录"})

    # The station mediates on land, with the agencies' findings in hand.
    task = only(case, "SeaLand_Task_Mediation", "sjm-station")
    assert task.stage == "mediation"
    case = work(task.id, "sjm-station", {"agreement": True, "consultation_method": "on_site",
                                         "mediation_note": "海事处、人力社保局与船东、渔民代表现场会商"})
    task = only(case, "SeaLand_Task_RecordAgreement", "sjm-station")
    case = work(task.id, "sjm-station", {"amount_paid": 270000, "people_helped": 11, "payment": "paid_in_full",
                                         "agreement_terms": "船东于协议签订当日一次性支付拖欠工资"})
    task = only(case, "SeaLand_Task_ReturnVisit", "sjm-station")
    assert task.stage == "return_visit"
    case = work(task.id, "sjm-station", VISIT)

    assert case.status == "completed" and case.open_tasks == []
    assert handled(case.id) == [
        ("SeaLand_Task_Verify", "pt-labour", "pt-labour"),
        ("SeaLand_Task_Verify", "pt-maritime", "pt-maritime"),
        ("SeaLand_Task_Mediation", "sjm-station", "sjm-station"),
        ("SeaLand_Task_RecordAgreement", "sjm-station", "sjm-station"),
        ("SeaLand_Task_ReturnVisit", "sjm-station", "sjm-station"),
    ]
    [record] = completed_data(case.id, "SeaLand_Task_RecordAgreement")
    assert (record["amount_paid"], record["people_helped"]) == (270000, 11)
    assert "SeaLand_Task_Court" not in {bpmn_id for bpmn_id, _ in created(case.id)}
    data = case_data(case.id)
    assert data["agencies"] == ["labour_bureau", "maritime_office"]
    assert [v["agency_kind"] for v in data["verifications"]] == ["labour_bureau", "maritime_office"]
    assert data["verification_summary"] == {"agencies": ["labour_bureau", "maritime_office"],
                                            "all_confirmed": True, "amount_confirmed": 270000}
    assert get_case(case.id).events[-1].event == "case_completed"


def test_a_vessel_collision_goes_to_the_maritime_office_only_and_on_to_the_shared_court(demo):
    case = start_case(process_id=PROCESS, data=COLLISION, username="sjm-station")
    task = only(case, "SeaLand_Task_Verify", "pt-maritime")
    case = work(task.id, "pt-maritime", {"facts_confirmed": True, "amount_confirmed": 80000,
                                         "verification_note": "已调取船舶AIS轨迹，碰撞事实清楚"})
    task = only(case, "SeaLand_Task_Mediation", "sjm-station")
    case = work(task.id, "sjm-station", {"agreement": False, "consultation_method": "video",
                                         "mediation_note": "双方对赔偿金额分歧较大"})
    task = only(case, "SeaLand_Task_Court", "pt-court")
    case = work(task.id, "pt-clerk", {"court_outcome": "mediated", "case_number": "（2024）浙0903民初456号",
                                      "amount_awarded": 60000})
    task = only(case, "SeaLand_Task_ReturnVisit", "sjm-station")
    case = work(task.id, "sjm-station", {"satisfied": True, "visit_method": "in_person"})

    assert case.status == "completed"
    assert handled(case.id) == [
        ("SeaLand_Task_Verify", "pt-maritime", "pt-maritime"),
        ("SeaLand_Task_Mediation", "sjm-station", "sjm-station"),
        ("SeaLand_Task_Court", "pt-court", "pt-clerk"),
        ("SeaLand_Task_ReturnVisit", "sjm-station", "sjm-station"),
    ]
    agencies = {agency for _, agency in created(case.id)}
    assert "pt-labour" not in agencies
    assert "SeaLand_Task_RecordAgreement" not in {bpmn_id for bpmn_id, _ in created(case.id)}
    assert case_data(case.id)["verification_summary"] == {
        "agencies": ["maritime_office"], "all_confirmed": True, "amount_confirmed": 80000}


def test_a_dispute_taken_in_at_another_street_is_mediated_by_that_street_station(demo):
    case = start_case(process_id=PROCESS, data={**WAGES, "location": "dg-haihua-g1"}, username="dg-station")
    assert [t.agency_code for t in case.open_tasks] == ["pt-labour", "pt-maritime"]
    for task, username in zip(case.open_tasks, ["pt-labour", "pt-maritime"], strict=True):
        case = work(task.id, username, {"facts_confirmed": False, "amount_confirmed": 0,
                                        "verification_note": "情况与反映不符"})
    only(case, "SeaLand_Task_Mediation", "dg-station")
    assert open_task_data(case.id, "SeaLand_Task_Mediation")["verification_summary"] == {
        "agencies": ["labour_bureau", "maritime_office"], "all_confirmed": False, "amount_confirmed": 0}

"""The one-window police services (一窗通办) end to end: front-desk intake at the station (平安小苑),
back-office approval at the police station (派出所), single pick-up window.

"Photo once, use everywhere" (一窗通拍、全域应用): the photo reference is taken from the photo archive or
captured once, kept in the process data object `photo_ref`, and read by approval and printing; the
capture step is never repeated, also not when the back office sends the application back.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from SpiffWorkflow.util.task import TaskState

from engine import InvalidInputError, case_store, complete_task, start_case
from engine.runtime import parsed_version
from engine.serialization import load_workflow
from engine.specs import parse_sources
from processes.forms import load_form
from processes.one_window import one_window_print
from tests.steps import created, handled, only, work

PROCESS = "one_window"
BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
# 市民尹云飞来为13岁的儿子办理身份证
ID_CARD = {"item_code": "id_card_first", "applicant_name": "尹某某", "id_number": "33090320110601123X",
           "location": "sjm-duntou-g1", "phone": "13800138000"}
RESIDENCE = {"item_code": "residence_permit", "applicant_name": "李某", "id_number": "512501199003154321",
             "location": "sjm-siwan-g1", "phone": "13900139000"}
ON_FILE = "ZP202301150023"
CAPTURED = "ZP202406010001"
APPROVED = {"decision": "approved", "approval_opinion": "符合条件，同意办理"}
INCOMPLETE = {"decision": "incomplete", "approval_opinion": "材料不全：请补交房屋租赁合同原件"}
SUPPLEMENT = {"supplemented_materials": ["房屋租赁合同原件"], "supplement_note": "申请人已到窗口补交"}


def stored_workflow(case_id: int):
    case = case_store.load_case(case_id)
    return load_workflow(case_store.load_state(case_id),
                         parsed_version(case.process_version_id, case.content_hash, case.process_id))


def open_task_data(case_id: int, bpmn_id: str) -> dict:
    """The data an open user task sees (what its form is shown with)."""
    [task] = stored_workflow(case_id).get_tasks(state=TaskState.READY, manual=True, spec_name=bpmn_id)
    return task.data


def case_data(case_id: int) -> dict:
    workflow = stored_workflow(case_id)
    assert workflow.is_completed()
    return workflow.data


def test_a_resident_gets_an_id_card_with_the_photo_already_on_file(demo):
    case = start_case(process_id=PROCESS, data=ID_CARD, username="sjm-station")
    task = only(case, "Window_Task_FrontDesk", "sjm-station")
    assert (task.stage, task.due_at - task.created_at) == ("intake", timedelta(minutes=30))
    case = work(task.id, "sjm-station", {"received_materials": ["居民户口簿", "监护人居民身份证（未满16周岁）"],
                                         "photo_on_file": True, "photo_ref": ON_FILE})

    task = only(case, "Window_Task_Approval", "sjm-police")  # no capture step: the archived photo is used
    assert task.stage == "approval"
    assert open_task_data(case.id, "Window_Task_Approval")["photo_ref"] == ON_FILE
    case = work(task.id, "sjm-police", APPROVED)
    task = only(case, "Window_Task_PickUp", "sjm-station")
    assert task.stage == "pickup"
    case = work(task.id, "sjm-station", {"collected_by": "agent", "recipient_name": "尹云飞"})

    assert case.status == "completed" and case.open_tasks == []
    assert handled(case.id) == [
        ("Window_Task_FrontDesk", "sjm-station", "sjm-station"),
        ("Window_Task_Approval", "sjm-police", "sjm-police"),
        ("Window_Task_PickUp", "sjm-station", "sjm-station"),
    ]
    assert "Window_Task_CapturePhoto" not in created(case.id)
    data = case_data(case.id)
    assert data["item"]["name"] == "首次申领居民身份证"
    assert data["issued"]["document"] == "居民身份证" and data["issued"]["photo_ref"] == ON_FILE
    assert data["data_objects"] == {"photo_ref": ON_FILE}


def test_a_residence_permit_without_a_photo_is_photographed_once_and_supplemented_once(demo):
    case = start_case(process_id=PROCESS, data=RESIDENCE, username="sjm-station")
    task = only(case, "Window_Task_FrontDesk", "sjm-station")
    case = work(task.id, "sjm-station", {"received_materials": ["居民身份证", "劳动合同"],
                                         "photo_on_file": False, "photo_ref": ""})
    task = only(case, "Window_Task_CapturePhoto", "sjm-station")
    case = work(task.id, "sjm-station", {"photo_ref": CAPTURED, "capture_note": "现场拍摄，符合证件照标准"})

    # The back office sees the captured photo and sends the application back once for missing materials.
    task = only(case, "Window_Task_Approval", "sjm-police")
    assert open_task_data(case.id, "Window_Task_Approval")["photo_ref"] == CAPTURED
    case = work(task.id, "sjm-police", INCOMPLETE)
    task = only(case, "Window_Task_Supplement", "sjm-station")
    assert open_task_data(case.id, "Window_Task_Supplement")["approval_opinion"] == INCOMPLETE["approval_opinion"]
    case = work(task.id, "sjm-station", SUPPLEMENT)

    # Resubmitted straight to the back office: the photo is reused, not taken again.
    task = only(case, "Window_Task_Approval", "sjm-police")
    assert open_task_data(case.id, "Window_Task_Approval")["photo_ref"] == CAPTURED
    case = work(task.id, "sjm-police", APPROVED)
    task = only(case, "Window_Task_PickUp", "sjm-station")
    case = work(task.id, "sjm-station", {"collected_by": "applicant", "recipient_name": "李某"})

    assert case.status == "completed"
    assert handled(case.id) == [
        ("Window_Task_FrontDesk", "sjm-station", "sjm-station"),
        ("Window_Task_CapturePhoto", "sjm-station", "sjm-station"),
        ("Window_Task_Approval", "sjm-police", "sjm-police"),
        ("Window_Task_Supplement", "sjm-station", "sjm-station"),
        ("Window_Task_Approval", "sjm-police", "sjm-police"),
        ("Window_Task_PickUp", "sjm-station", "sjm-station"),
    ]
    assert created(case.id).count("Window_Task_CapturePhoto") == 1
    data = case_data(case.id)
    assert data["issued"]["document"] == "居住证" and data["issued"]["photo_ref"] == CAPTURED
    assert data["supplement_count"] == 1
    for form in ("one_window_approval", "one_window_supplement", "one_window_pickup"):
        assert not any("photo" in name for name in load_form(form)["properties"]), form  # never asked again


def test_after_two_supplements_a_third_incomplete_application_is_refused(demo):
    case = start_case(process_id=PROCESS, data=RESIDENCE, username="sjm-station")
    case = work(case.open_tasks[0].id, "sjm-station", {"received_materials": ["居民身份证"],
                                                       "photo_on_file": False, "photo_ref": ""})
    case = work(only(case, "Window_Task_CapturePhoto", "sjm-station").id, "sjm-station", {"photo_ref": CAPTURED})
    for _ in range(2):
        case = work(only(case, "Window_Task_Approval", "sjm-police").id, "sjm-police", INCOMPLETE)
        case = work(only(case, "Window_Task_Supplement", "sjm-station").id, "sjm-station", SUPPLEMENT)
    case = work(only(case, "Window_Task_Approval", "sjm-police").id, "sjm-police", INCOMPLETE)

    task = only(case, "Window_Task_NotifyRejection", "sjm-station")
    assert task.stage == "feedback"
    case = work(task.id, "sjm-station", {"notice_method": "in_person",
                                         "notice_note": "材料两次补正后仍不齐全，不予办理，可备齐材料后重新申办"})
    assert case.status == "completed"
    tasks = created(case.id)
    assert tasks.count("Window_Task_Approval") == 3 and tasks.count("Window_Task_Supplement") == 2
    assert tasks.count("Window_Task_CapturePhoto") == 1
    assert "Window_Task_PickUp" not in tasks
    data = case_data(case.id)
    assert data["supplement_count"] == 2 and "issued" not in data


def test_an_instant_item_is_done_at_the_desk_without_the_police_station(demo):
    case = start_case(process_id=PROCESS, data={**RESIDENCE, "item_code": "temp_id_card"}, username="sjm-station")
    case = work(case.open_tasks[0].id, "sjm-station", {"received_materials": ["居民户口簿"],
                                                       "photo_on_file": False, "photo_ref": ""})
    case = work(only(case, "Window_Task_CapturePhoto", "sjm-station").id, "sjm-station", {"photo_ref": CAPTURED})
    case = work(only(case, "Window_Task_PickUp", "sjm-station").id, "sjm-station",
                {"collected_by": "applicant", "recipient_name": "李某"})
    assert case.status == "completed"
    assert {agency for _, agency, _ in handled(case.id)} == {"sjm-station"}
    issued = case_data(case.id)["issued"]
    assert issued == one_window_print("temp_id_card", RESIDENCE["id_number"], CAPTURED)
    assert (issued["document"], issued["photo_ref"]) == ("临时居民身份证", CAPTURED)


def test_a_photo_on_file_needs_its_reference(demo):
    case = start_case(process_id=PROCESS, data=ID_CARD)
    task = case.open_tasks[0]
    with pytest.raises(InvalidInputError) as error:
        complete_task(task_id=task.id, username="sjm-station",
                      data={"received_materials": ["居民户口簿"], "photo_on_file": True, "photo_ref": ""})
    assert "photo_ref" in error.value.details
    with pytest.raises(InvalidInputError):
        start_case(process_id=PROCESS, data={**ID_CARD, "id_number": "12345"})


def test_printing_a_photo_item_without_a_photo_fails_rather_than_asking_again():
    with pytest.raises(ValueError, match="needs the applicant's photo"):
        one_window_print("residence_permit", "512501199003154321", "")
    assert one_window_print("no_criminal_record", "512501199003154321", "")["photo_ref"] == ""


def test_the_capture_step_lies_on_no_cycle_so_it_runs_at_most_once():
    sources = {name: (BPMN_DIR / name).read_text(encoding="utf-8") for name in ("one_window.bpmn", "one_window.dmn")}
    [parsed] = parse_sources(sources)
    specs = parsed.spec.task_specs
    capture = next(spec for spec in specs.values() if getattr(spec, "bpmn_id", None) == "Window_Task_CapturePhoto")
    seen, frontier = set(), list(capture.outputs)
    while frontier:
        spec = frontier.pop()
        if spec.name in seen:
            continue
        seen.add(spec.name)
        frontier.extend(spec.outputs)
    assert capture.name not in seen
    assert "Window_Task_Approval" in seen and "Window_Task_Supplement" in seen  # the loop is downstream

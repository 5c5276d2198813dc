"""Every row of the one-window decision table (bpmn/one_window.dmn), and its agreement with the catalogue.

one_window_route decides, by item code, whether an item needs back-office approval (needs_approval),
a compliant photo (photo_required), and how often the back office may send it back for missing
materials (max_supplements). Cells are Python: each row is checked by the rule that matches and by its
effect on a real case worked through the demo station (sjm-station) and police station (sjm-police).
"""

import ast
from pathlib import Path

import pytest
from lxml import etree

from engine import get_case, start_case
from processes.forms import load_form
from processes.one_window import CATALOGUE, item_codes, one_window_item
from tests.steps import decision_table, only, work

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
DMN = BPMN_DIR / "one_window.dmn"
APPLICANT = {"applicant_name": "陈某", "id_number": "330903198501011234", "location": "sjm-duntou-g1",
             "phone": "13800138000"}
ITEMS = [pytest.param(item, id=item.code) for item in CATALOGUE]
APPROVAL_ITEMS = [pytest.param(item, id=item.code) for item in CATALOGUE if item.needs_approval]


def rule_id(code: str) -> str:
    return "Rule_WindowRoute" + "".join(part.capitalize() for part in code.split("_"))


@pytest.fixture(scope="module")
def decide():
    """Evaluate one_window_route on given data with the platform's script engine; return (rule ids, result)."""
    return decision_table(BPMN_DIR / "one_window.bpmn", DMN, "one_window", "one_window_route")


FRONT_DESK_NO_PHOTO = {"received_materials": ["居民身份证"], "photo_on_file": False, "photo_ref": ""}
PHOTO = {"photo_ref": "ZP202406010001"}
PICKUP = {"collected_by": "applicant", "recipient_name": "陈某"}


@pytest.mark.parametrize("item", ITEMS)
def test_each_row_matches_only_its_item_and_agrees_with_the_catalogue(decide, item):
    matched, result = decide({"item_code": item.code})
    assert matched == [rule_id(item.code)]
    assert result == {"needs_approval": item.needs_approval, "photo_required": item.photo_required,
                      "max_supplements": item.max_supplements}


@pytest.mark.parametrize("item", ITEMS)
def test_each_row_takes_its_item_down_its_path(demo, item):
    case = start_case(process_id="one_window", data={**APPLICANT, "item_code": item.code}, username="sjm-station")
    task = only(case, "Window_Task_FrontDesk", "sjm-station")
    case = work(task.id, "sjm-station", FRONT_DESK_NO_PHOTO)
    if item.photo_required:  # no photo on file: the photo is taken once at the station
        task = only(case, "Window_Task_CapturePhoto", "sjm-station")
        case = work(task.id, "sjm-station", PHOTO)
    if item.needs_approval:  # back-office approval at the police station
        task = only(case, "Window_Task_Approval", "sjm-police")
        case = work(task.id, "sjm-police", {"decision": "approved", "approval_opinion": "符合条件，同意办理"})
    task = only(case, "Window_Task_PickUp", "sjm-station")
    case = work(task.id, "sjm-station", PICKUP)

    assert case.status == "completed"
    created = [event.data["bpmn_id"] for event in get_case(case.id).events if event.event == "task_created"]
    assert ("Window_Task_CapturePhoto" in created) == item.photo_required
    assert ("Window_Task_Approval" in created) == item.needs_approval


@pytest.mark.parametrize("item", APPROVAL_ITEMS)
def test_each_row_bounds_the_supplements_of_its_item(demo, item):
    case = start_case(process_id="one_window", data={**APPLICANT, "item_code": item.code}, username="sjm-station")
    case = work(case.open_tasks[0].id, "sjm-station", {**FRONT_DESK_NO_PHOTO, "photo_on_file": True,
                                                       "photo_ref": "ZP202301150023"})
    for _ in range(item.max_supplements):
        task = only(case, "Window_Task_Approval", "sjm-police")
        case = work(task.id, "sjm-police", {"decision": "incomplete", "approval_opinion": "材料不全"})
        task = only(case, "Window_Task_Supplement", "sjm-station")
        case = work(task.id, "sjm-station", {"supplemented_materials": ["补充材料"]})
    task = only(case, "Window_Task_Approval", "sjm-police")
    case = work(task.id, "sjm-police", {"decision": "incomplete", "approval_opinion": "仍缺材料"})
    only(case, "Window_Task_NotifyRejection", "sjm-station")


def _rules() -> list[tuple[str, list[str]]]:
    root = etree.parse(str(DMN)).getroot()
    ns = {"dmn": root.nsmap[None]}
    return [(rule.xpath("./dmn:inputEntry/dmn:text/text()", namespaces=ns)[0].strip(),
             [text.strip() for text in rule.xpath("./dmn:outputEntry/dmn:text/text()", namespaces=ns)])
            for rule in root.xpath("//dmn:rule", namespaces=ns)]


def test_the_table_has_exactly_one_row_per_catalogue_item_and_the_start_form_offers_them_all():
    rules = _rules()
    assert [ast.literal_eval(entry) for entry, _ in rules] == item_codes()
    assert len(set(item_codes())) == len(CATALOGUE) >= 10
    start = load_form("one_window_start")["properties"]["item_code"]
    assert start["enum"] == item_codes() == start["examples"]


def test_the_catalogue_is_consistent_and_served_by_its_operation():
    for item in CATALOGUE:
        assert item.materials and item.document
        assert (item.deadline_working_days == 0) == (not item.needs_approval)  # instant items: on the spot
        entry = one_window_item(item.code)
        assert entry["name"] == item.name and entry["materials"] == list(item.materials)
    with pytest.raises(ValueError, match="not in the one-window catalogue"):
        one_window_item("no_such_item")

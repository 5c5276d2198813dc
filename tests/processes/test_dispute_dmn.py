"""Every row of the dispute funnel's decision table (bpmn/dispute_funnel.dmn), through the real engine.

classify_dispute decides, by category, the level a dispute starts at (entry_level) and the agencies the
station is offered for joint mediation (suggested_agencies; the station keeps them by leaving its
`requested_agencies` empty). Cells are Python: a FEEL-style cell would silently fall through to the
default row, so each row is checked by its effect on the case.
"""

import ast
from pathlib import Path

import pytest
from lxml import etree

from engine import get_case, start_case
from processes.forms import load_form
from tests.steps import work

DMN = Path(__file__).resolve().parents[2] / "bpmn" / "dispute_funnel.dmn"
LOCATION = "sjm-duntou-g1"
START = {"source": "police", "location": LOCATION, "parties": ["甲", "乙"], "summary": "纠纷"}

# category (None: not given) -> where the case starts, and the agencies of the joint-mediation instances
# when the station keeps the suggestion, for a case located in 墩头社区 (沈家门街道).
ROWS = [
    pytest.param("personal_injury", "joint", {"pt-justice", "sjm-police"}, id="personal_injury"),
    pytest.param("fishing_dispute", "joint", {"pt-maritime", "pt-justice"}, id="fishing_dispute"),
    pytest.param("wage_dispute", "joint", {"pt-labour", "pt-justice"}, id="wage_dispute"),
    pytest.param("consumer_dispute", "community", {"pt-market", "pt-justice"}, id="consumer_dispute"),
    pytest.param("neighbour_dispute", "community", {"sjm-duntou", "pt-justice"}, id="neighbour_dispute"),
    pytest.param("property_damage", "community", {"sjm-duntou", "pt-justice"}, id="property_damage"),
    pytest.param(None, "community", {"pt-justice", "sjm-office"}, id="default-no-category"),
]


def start(category: str | None, source: str = "police"):
    data = {**START, "source": source}
    if category is not None:
        data["category"] = category
    return start_case(process_id="dispute_funnel", data=data)


@pytest.mark.parametrize(("category", "entry_level", "joint_agencies"), ROWS)
def test_each_row_sets_the_entry_level_and_the_suggested_joint_agencies(demo, category, entry_level, joint_agencies):
    case = start(category)
    [task] = case.open_tasks
    if entry_level == "community":
        assert (task.bpmn_id, task.agency_code) == ("Task_CommunityMediation", "sjm-duntou")
        case = work(task.id, "sjm-duntou", {"agreement": False, "community_mediation_note": "未果"})
        [task] = case.open_tasks
        assert (task.bpmn_id, task.agency_code) == ("Task_StreetMediation", "sjm-office")
        case = work(task.id, "sjm-office", {"agreement": False, "street_mediation_note": "未果"})
        [task] = case.open_tasks
    assert (task.bpmn_id, task.agency_code) == ("Task_JointRequest", "sjm-station")
    created = [e.data["bpmn_id"] for e in get_case(case.id).events if e.event == "task_created"]
    assert ("Task_CommunityMediation" in created) == (entry_level == "community")

    case = work(task.id, "sjm-station", {"joint_request_note": "采用建议的联动单位"})

    assert {t.bpmn_id for t in case.open_tasks} == {"Task_JointMediation"}
    assert sorted(t.agency_code for t in case.open_tasks) == sorted(joint_agencies)


@pytest.mark.parametrize("source", ["police", "litigation", "petition"])
def test_the_source_does_not_change_where_a_dispute_starts(demo, source):
    assert start(None, source).open_tasks[0].bpmn_id == "Task_CommunityMediation"
    assert start("neighbour_dispute", source).open_tasks[0].bpmn_id == "Task_CommunityMediation"
    assert start("personal_injury", source).open_tasks[0].bpmn_id == "Task_JointRequest"


def _outputs() -> dict[str, list[str]]:
    root = etree.parse(str(DMN)).getroot()
    ns = {"dmn": root.nsmap[None]}
    names = [o.get("name") for o in root.xpath("//dmn:output", namespaces=ns)]
    rules = root.xpath("//dmn:rule", namespaces=ns)
    return {name: [rule.xpath("./dmn:outputEntry/dmn:text/text()", namespaces=ns)[i] for rule in rules]
            for i, name in enumerate(names)}


def test_the_outputs_are_values_the_diagram_and_the_station_form_accept():
    outputs = _outputs()
    assert {ast.literal_eval(value) for value in outputs["entry_level"]} == {"community", "joint"}
    kinds = set(load_form("dispute_joint_request")["properties"]["requested_agencies"]["items"]["enum"])
    for value in outputs["suggested_agencies"]:
        suggested = ast.literal_eval(value)
        assert suggested and len(set(suggested)) == len(suggested) and set(suggested) <= kinds, value

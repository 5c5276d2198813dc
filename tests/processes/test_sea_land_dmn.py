"""Every row of the sea-land linkage's decision table (bpmn/sea_land.dmn).

sea_land_route decides, by dispute type, which maritime agencies verify the dispute in parallel (the list
`agencies`, one multi-instance verification task per agency kind). Cells are Python: a FEEL-style cell
would silently fall through to the default row, so each row is checked twice: by the rule that matches,
and by its effect on a real case (the agencies its verification tasks go to).
"""

import ast
from pathlib import Path

import pytest
from lxml import etree

from engine import get_case, start_case
from processes.agency_kinds import kind_for_code
from processes.forms import load_form
from processes.sea_land import DISPUTE_TYPES
from tests.steps import decision_table

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
DMN = BPMN_DIR / "sea_land.dmn"
START = {"vessel": "浙普渔12345", "crew_count": 3, "amount": 50000, "summary": "海上纠纷",
         "location": "sjm-duntou-g1"}

# dispute type -> the rule that must match, and the agency kinds (in order) it sends the dispute to.
ROWS = [
    pytest.param("wage_arrears", "Rule_SeaLandWageArrears", ["labour_bureau", "maritime_office"], id="wage_arrears"),
    pytest.param("crew_injury", "Rule_SeaLandCrewInjury", ["labour_bureau", "maritime_office"], id="crew_injury"),
    pytest.param("vessel_collision", "Rule_SeaLandVesselCollision", ["maritime_office"], id="vessel_collision"),
    pytest.param("gear_damage", "Rule_SeaLandGearDamage", ["maritime_office"], id="gear_damage"),
    pytest.param("other", "Rule_SeaLandDefault", ["maritime_office"], id="default-other"),
]
# The demo agency of each kind for a dispute taken in at 墩头社区 (沈家门街道).
DEMO_AGENCY = {"labour_bureau": "pt-labour", "maritime_office": "pt-maritime"}


@pytest.fixture(scope="module")
def decide():
    """Evaluate sea_land_route on given data with the platform's script engine; return (rule ids, result)."""
    return decision_table(BPMN_DIR / "sea_land.bpmn", DMN, "sea_land", "sea_land_route")


@pytest.mark.parametrize(("dispute_type", "rule", "agencies"), ROWS)
def test_each_row_matches_its_dispute_type_first(decide, dispute_type, rule, agencies):
    matched, result = decide({"dispute_type": dispute_type})
    assert matched[0] == rule
    assert result == {"agencies": agencies}


def test_a_type_outside_the_table_falls_to_the_maritime_office_default(decide):
    matched, result = decide({"dispute_type": "fishing_ground"})
    assert matched == ["Rule_SeaLandDefault"]
    assert result == {"agencies": ["maritime_office"]}


@pytest.mark.parametrize(("dispute_type", "rule", "agencies"), ROWS)
def test_each_row_sends_one_verification_task_to_each_routed_agency(demo, dispute_type, rule, agencies):
    case = start_case(process_id="sea_land", data={**START, "dispute_type": dispute_type}, username="sjm-station")

    assert {task.bpmn_id for task in case.open_tasks} == {"SeaLand_Task_Verify"}
    assert [task.agency_code for task in case.open_tasks] == [DEMO_AGENCY[kind] for kind in agencies]
    created = [event.data["agency"] for event in get_case(case.id).events if event.event == "task_created"]
    assert created == [DEMO_AGENCY[kind] for kind in agencies]


def _rules() -> list[tuple[str, str]]:
    root = etree.parse(str(DMN)).getroot()
    ns = {"dmn": root.nsmap[None]}
    return [(rule.xpath("./dmn:inputEntry/dmn:text/text()", namespaces=ns)[0].strip(),
             rule.xpath("./dmn:outputEntry/dmn:text/text()", namespaces=ns)[0].strip())
            for rule in root.xpath("//dmn:rule", namespaces=ns)]


def test_the_table_covers_the_start_form_types_and_names_only_agency_kinds():
    enum = load_form("sea_land_start")["properties"]["dispute_type"]["enum"]
    assert enum == list(DISPUTE_TYPES)
    rules = _rules()
    keyed = [ast.literal_eval(entry) for entry, _ in rules if entry != "-"]
    assert sorted(keyed) == sorted(set(DISPUTE_TYPES) - {"other"})  # "other" takes the default row
    assert rules[-1][0] == "-"  # FIRST hit policy: the default row is last
    for _, output in rules:
        agencies = ast.literal_eval(output)
        assert agencies and len(set(agencies)) == len(agencies)
        assert all(kind_for_code(kind) for kind in agencies), output
        assert "maritime_office" in agencies  # every sea dispute involves the maritime office

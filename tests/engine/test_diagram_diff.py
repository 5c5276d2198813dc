"""The designers' engine queries: versions with their cases, a version to edit, what changed between two."""

from pathlib import Path

import pytest

from engine import DeployError, PermissionDeniedError, claim_task, complete_task, start_case
from engine.diagram_diff import compare_diagrams, diagram_changes
from engine.errors import InvalidInputError, NotFoundError
from engine.org import get_actor
from engine.process_overview import compare_versions, deploy_edited_version, process_overview, version_source
from tests.web.page_steps import NOISE

DIVERSION = (Path(__file__).resolve().parents[2] / "bpmn" / "diversion.bpmn").read_text(encoding="utf-8")
CITY_DEADLINE = '<spiffworkflow:property name="deadline" value="30 minutes" />'


def edited(xml: str = DIVERSION) -> str:
    """The diversion diagram with the city dispatch deadline changed and the on-site handling renamed."""
    xml = xml.replace(CITY_DEADLINE, CITY_DEADLINE.replace("30 minutes", "45 minutes"), 1)
    return xml.replace('name="现场处置"', 'name="现场处置（修订）"', 1)


def test_the_overview_lists_every_version_with_its_deployer_and_running_and_total_cases(demo):
    start_case(process_id="diversion", data=NOISE, username="sjm-police")
    start_case(process_id="diversion", data=NOISE, username="sjm-police")
    result = deploy_edited_version(process_id="diversion", based_on=1, xml=edited(), username="designer")
    assert (result.version, result.created) == (2, True)
    start_case(process_id="diversion", data=NOISE, username="sjm-police")
    # A police-business matter closes at once: a completed case on version 2.
    start_case(process_id="diversion", data={**NOISE, "category": "theft"}, username="sjm-police")

    overview = {p.process_id: p for p in process_overview(actor=get_actor("designer"))}
    assert set(overview) == {"diversion", "dispute_funnel", "sea_land", "one_window"}
    diversion = overview["diversion"]
    assert diversion.name == "非警务类事项分流"
    assert [(v.version, v.deployed_by, v.running_cases, v.total_cases) for v in diversion.versions] == [
        (2, "designer", 1, 2), (1, "designer", 2, 2)]
    assert len(diversion.versions[0].content_hash) == 12
    assert diversion.versions[0].deployed_at >= diversion.versions[1].deployed_at
    assert [(v.version, v.total_cases) for v in overview["sea_land"].versions] == [(1, 0)]


def test_only_designers_and_administrators_see_the_overview(demo):
    with pytest.raises(PermissionDeniedError, match="designer role"):
        process_overview(actor=get_actor("sjm-squad"))
    assert process_overview(actor=get_actor("admin"))


def test_an_edited_version_keeps_the_decision_tables_it_needs(demo):
    source = version_source("diversion", 1, actor=get_actor("designer"))
    assert (source.filename, source.latest_version) == ("diversion.bpmn", 1)
    assert source.xml == DIVERSION
    assert "diversion_city_dispatch" in source.choices.forms
    assert {"code": "street_squad", "name": "联动处置分队"} in source.choices.agency_kinds
    assert "assess_priority" in source.choices.service_operations
    assert "working days" in source.choices.deadline_units and "个工作日" in source.choices.deadline_units

    deploy_edited_version(process_id="diversion", based_on=1, xml=edited(), username="designer")
    case = start_case(process_id="diversion", data=NOISE, username="sjm-police")
    assert case.process_version == 2
    [task] = case.open_tasks
    claim_task(task_id=task.id, username="city-dispatcher")
    assert complete_task(task_id=task.id, username="city-dispatcher",
                         data={"city_dispatch_note": "转区"}).open_tasks[0].bpmn_id == "Task_DistrictDispatch"


def test_deploying_an_edit_again_or_unchanged_makes_no_version(demo):
    unchanged = deploy_edited_version(process_id="diversion", based_on=1, xml=DIVERSION, username="designer")
    assert (unchanged.version, unchanged.created) == (1, False)
    deploy_edited_version(process_id="diversion", based_on=1, xml=edited(), username="designer")
    again = deploy_edited_version(process_id="diversion", based_on=1, xml=edited(), username="designer")
    assert (again.version, again.created) == (2, False)


def test_an_invalid_edit_names_the_element_and_stores_nothing(demo):
    bad = DIVERSION.replace(CITY_DEADLINE, CITY_DEADLINE.replace("30 minutes", "soon"), 1)
    with pytest.raises(DeployError) as raised:
        deploy_edited_version(process_id="diversion", based_on=1, xml=bad, username="designer")
    assert raised.value.details["element"].startswith("Task_CityDispatch")
    assert "deadline 'soon' is not understood" in raised.value.details["problem"]
    with pytest.raises(PermissionDeniedError):
        deploy_edited_version(process_id="diversion", based_on=1, xml=edited(), username="sjm-squad")
    with pytest.raises(DeployError, match="no longer defines the process 'diversion'"):
        deploy_edited_version(process_id="diversion", based_on=1, username="designer",
                              xml=DIVERSION.replace('id="diversion"', 'id="diversion_copy"')
                              .replace('processRef="diversion"', 'processRef="diversion_copy"'))
    with pytest.raises(NotFoundError):
        deploy_edited_version(process_id="diversion", based_on=9, xml=edited(), username="designer")
    overview = {p.process_id: p for p in process_overview(actor=get_actor("designer"))}
    assert [v.version for v in overview["diversion"].versions] == [1]


def test_diagram_changes_compares_two_versions_element_by_element(demo):
    deploy_edited_version(process_id="diversion", based_on=1, xml=edited(), username="designer")
    assert diagram_changes("diversion", 1, 2) == {
        "added": [], "removed": [], "changed": ["Task_CityDispatch", "Task_OnSiteHandling"]}
    assert diagram_changes("diversion", 2, 2) == {"added": [], "removed": [], "changed": []}
    with pytest.raises(NotFoundError):
        diagram_changes("diversion", 1, 3)
    comparison = compare_versions("diversion", 1, 2, actor=get_actor("designer"))
    assert comparison.changes.names["Task_OnSiteHandling"] == "现场处置（修订）"
    assert comparison.from_xml == DIVERSION


SMALL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:laneSet id="LS">
      <bpmn:lane id="Lane_A" name="派出所"><bpmn:flowNodeRef>Start_1</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Task_A</bpmn:flowNodeRef>{lane_extra}</bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="Start_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Task_A" name="A">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="deadline" value="{deadline}" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>Flow_1</bpmn:incoming>{task_outgoing}
    </bpmn:userTask>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Task_A" />{more}
  </bpmn:process>
  <bpmndi:BPMNDiagram id="DI"><bpmndi:BPMNPlane id="Plane" bpmnElement="p">
    <bpmndi:BPMNShape id="Task_A_di" bpmnElement="Task_A"><dc:Bounds x="{x}" y="0" width="100" height="80" />
    </bpmndi:BPMNShape></bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def small(deadline="1 day", x=0, more="", task_outgoing="", lane_extra=""):
    return SMALL.format(deadline=deadline, x=x, more=more, task_outgoing=task_outgoing, lane_extra=lane_extra)


def test_compare_diagrams_finds_added_removed_and_changed_elements_and_ignores_layout():
    assert compare_diagrams(small(), small(x=300)).as_dict() == {"added": [], "removed": [], "changed": []}
    end = '<bpmn:endEvent id="End_1" name="结束"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>' \
          '<bpmn:sequenceFlow id="Flow_2" sourceRef="Task_A" targetRef="End_1" />'
    grown = small(deadline="2 days", more=end, task_outgoing="<bpmn:outgoing>Flow_2</bpmn:outgoing>",
                  lane_extra="<bpmn:flowNodeRef>End_1</bpmn:flowNodeRef>")
    changes = compare_diagrams(small(), grown)
    # Task_A gained an outgoing flow, which is the flow's change, not the task's: only its deadline counts.
    assert changes.as_dict() == {"added": ["End_1", "Flow_2"], "removed": [], "changed": ["Lane_A", "Task_A"]}
    assert changes.names["End_1"] == "结束"
    assert compare_diagrams(grown, small()).as_dict() == {
        "added": [], "removed": ["End_1", "Flow_2"], "changed": ["Lane_A", "Task_A"]}
    with pytest.raises(InvalidInputError, match="not well-formed"):
        compare_diagrams(small(), "<bpmn:definitions")

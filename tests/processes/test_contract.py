"""Contract checks on every shipped diagram: what the platform and its users rely on."""

import re
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from engine.deploy import read_sources
from engine.specs import parse_sources
from processes.agency_kinds import kind_for_code, kind_for_lane

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
ROOT = BPMN_DIR.parent
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiff": "http://spiffworkflow.org/bpmn/schema/1.0/core",
    "dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/",
}
SOURCES = read_sources([str(BPMN_DIR)])
PROCESSES = {process.process_id: process for process in parse_sources(SOURCES)}


def _user_tasks(process):
    for spec in [process.spec, *process.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "manual", False) and getattr(task_spec, "bpmn_id", None):
                yield task_spec


def test_the_library_ships_the_four_processes():
    assert {"diversion", "dispute_funnel", "sea_land", "one_window"} <= set(PROCESSES)


@pytest.mark.parametrize("process_id", sorted(PROCESSES))
def test_every_user_task_has_a_lane_agency_form_and_deadline(process_id):
    tasks = list(_user_tasks(PROCESSES[process_id]))
    assert tasks, f"{process_id} has no user task"
    for task in tasks:
        properties = task.extensions.get("properties", {})
        where = f"{process_id}: {task.bpmn_id} ({task.bpmn_name})"
        assert kind_for_lane(task.lane) is not None, f"{where} is in lane {task.lane!r}"
        assert properties.get("form"), f"{where} declares no form"
        assert properties.get("deadline"), f"{where} declares no deadline"
        assert properties.get("stage"), f"{where} declares no closed-loop stage"


def _decision_outputs(xml: str) -> dict[str, dict[str, list[str]]]:
    """Map each decision id to its output names and the literal values its rules give them."""
    root = etree.fromstring(xml.encode())
    namespace = {"dmn": root.nsmap.get(None) or NS["dmn"]}
    decisions = {}
    for decision in root.xpath("//dmn:decision", namespaces=namespace):
        names = [output.get("name") for output in decision.xpath(".//dmn:output", namespaces=namespace)]
        values: dict[str, list[str]] = {name: [] for name in names}
        for rule in decision.xpath(".//dmn:rule", namespaces=namespace):
            for name, entry in zip(names, rule.xpath("./dmn:outputEntry/dmn:text/text()", namespaces=namespace),
                                   strict=False):
                values[name].append(entry.strip())
        decisions[decision.get("id")] = values
    return decisions


DECISIONS = {decision: outputs for name, xml in SOURCES.items() if name.endswith(".dmn")
             for decision, outputs in _decision_outputs(xml).items()}


@pytest.mark.parametrize("process_id", sorted(PROCESSES))
def test_every_decision_output_is_used_by_the_process_that_calls_it(process_id):
    process = PROCESSES[process_id]
    text = "\n".join(process.sources[name] for name in process.sources if name.endswith(".bpmn"))
    called = re.findall(r"<spiffworkflow:calledDecisionId>\s*([^<\s]+)\s*<", text)
    for decision in called:
        assert decision in DECISIONS, f"{process_id} calls unknown decision {decision}"
        for output, values in DECISIONS[decision].items():
            assert re.search(rf"\b{re.escape(output)}\b", text.replace(f'name="{output}"', "")), (
                f"{process_id}: output {output!r} of {decision} is never read by a condition, script or property")
            if output.endswith("_kind"):
                for value in values:
                    assert kind_for_code(value.strip("\"'")), f"{decision}.{output} = {value} is no agency kind"


def test_the_diagrams_pass_bpmnlint_with_the_recommended_rules():
    bpmnlint = ROOT / "node_modules" / ".bin" / "bpmnlint"
    assert bpmnlint.exists(), "bpmnlint is not installed: run `make install` (npm ci)"
    result = subprocess.run([str(bpmnlint), *sorted(str(p) for p in BPMN_DIR.glob("*.bpmn"))], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "problem" not in result.stdout, result.stdout + result.stderr

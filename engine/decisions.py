"""Evaluate a deployed DMN decision table on its own, outside any case: the diversion classification.

The table comes from the DMN sources of the latest deployed version of a process, so intake classifies
with exactly the rules new cases run on. Tables are parsed once per version; since a table is a pure
function of its inputs (Python expressions on the platform's restricted script engine), its answers
are remembered per version too.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine import case_store
from engine.cases import latest_version
from engine.errors import NotFoundError, ProcessError
from engine.scripting import SCRIPT_ENGINE

DIVERSION = "diversion"
CLASSIFY_INCIDENT = "classify_incident"
POLICE_OUTPUT = "police_business"  # the classification's verdict: True for police business
_ANSWERS_KEPT = 4096

_tables: dict[tuple[int, str, str], DMNEngine] = {}
_answers: OrderedDict[tuple, dict] = OrderedDict()
_lock = threading.Lock()


@dataclass
class _Workflow:
    script_engine: object = SCRIPT_ENGINE
    spec: object = None
    top_workflow: object = None


@dataclass
class _Context:
    """What the DMN engine reads from a task: its data, its workflow's script engine, names for errors."""

    data: dict
    task_spec: object
    workflow: _Workflow = field(default_factory=_Workflow)

    def __post_init__(self):
        self.workflow.top_workflow = self.workflow


@dataclass(frozen=True)
class _Spec:
    bpmn_id: str
    bpmn_name: str
    file: str = ""


def _table(version, decision_id: str) -> DMNEngine:
    key = (version.id, version.content_hash, decision_id)
    table = _tables.get(key)
    if table is None:
        parser = SpiffBpmnParser()
        for filename, xml in case_store.load_sources(version.id).items():
            if filename.endswith(".dmn"):
                parser.add_dmn_xml(etree.fromstring(xml.encode("utf-8")), filename=filename)
        if decision_id not in parser.dmn_parsers:
            raise NotFoundError(f"decision {decision_id!r} is not part of the deployed process "
                                f"{version.name!r}; deploy the DMN file that defines it")
        table = parser.get_engine(decision_id, None)
        with _lock:
            table = _tables.setdefault(key, table)
    return table


def evaluate_decision(*, process_id: str, decision_id: str, inputs: dict) -> dict:
    """Evaluate a decision table of the latest deployed version of a process; return its outputs.

    `inputs` are the variables the table's input expressions read. A table whose rules match nothing
    returns {}. Raises NotFoundError when the process or the decision is not deployed, and ProcessError
    when a rule cannot be evaluated on these inputs.
    """
    version = latest_version(process_id)
    try:
        key = (version.id, version.content_hash, decision_id, tuple(sorted(inputs.items())))
        hash(key)
    except TypeError:  # unhashable inputs (lists, dicts) are evaluated every time
        key = None
    if key is not None and key in _answers:
        with _lock:
            _answers.move_to_end(key)
        return dict(_answers[key])
    table = _table(version, decision_id)
    context = _Context(dict(inputs), _Spec(decision_id, decision_id))
    try:
        answer = dict(table.result(context))
    except Exception as error:  # a rule's expression raised (SpiffWorkflow wraps it): the table is at fault
        raise ProcessError(f"decision {decision_id!r} failed on {inputs!r}: {error}") from None
    if key is not None:
        with _lock:
            _answers[key] = answer
            while len(_answers) > _ANSWERS_KEPT:
                _answers.popitem(last=False)
    return dict(answer)


def classification(category: str) -> dict:
    """The diversion decision table's answer for a category: police_business, target_kind, tier."""
    return evaluate_decision(process_id=DIVERSION, decision_id=CLASSIFY_INCIDENT, inputs={"category": category})


def classify_incident(category: str) -> bool:
    """Return True when the diversion decision table calls an incident of this category police business."""
    return bool(classification(category).get(POLICE_OUTPUT, False))

"""Save and restore a case's workflow state as JSON, with the spec stored by reference.

SpiffWorkflow embeds the whole spec in every serialized workflow by default. The spec belongs to the
process version, so a case's record holds only its task tree and data, and the spec is supplied on load.
"""

from uuid import UUID

import orjson
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.scripting import SCRIPT_ENGINE
from engine.specs import ParsedProcess

_SAVED = "_gongzhi_saved"  # the attribute of a task that keeps its last conversion


class _FinishedTasksOnce:
    """Convert a finished task once, not on every save of its case.

    A case's record holds every task it ever ran, and a finished task no longer changes: while its state
    (and when it was set) and its children are the same, the dict made at the previous save is reused.
    It is kept on the task itself, so it lives as long as the workflow does (see workflow_cache).
    """

    def mapping_to_dict(self, mapping, **kwargs):
        if not mapping or not isinstance(next(iter(mapping.values())), Task):
            return super().mapping_to_dict(mapping, **kwargs)
        converted = {}
        for task in mapping.values():
            if not task.state & TaskState.FINISHED_MASK:
                converted[str(task.id)] = self.registry.convert(task)
                continue
            key = (task.state, task.last_state_change, tuple(task._children))
            saved = task.__dict__.get(_SAVED)
            if saved is None or saved[0] != key:
                saved = (key, str(task.id), self.registry.convert(task))
                setattr(task, _SAVED, saved)
            converted[saved[1]] = saved[2]
        return converted


class _WorkflowBySpecReference(_FinishedTasksOnce, BpmnWorkflowConverter):
    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, parsed: ParsedProcess):
        workflow = self.target_class(parsed.spec, parsed.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class _SubWorkflowConverter(_FinishedTasksOnce, BpmnSubWorkflowConverter):
    pass


_config = dict(SPIFF_CONFIG)
_config[BpmnWorkflow] = _WorkflowBySpecReference
_config[BpmnSubWorkflow] = _SubWorkflowConverter
_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config))


def dump_workflow(workflow: BpmnWorkflow) -> str:
    """Serialize a workflow's state (not its spec) to JSON."""
    dct = _serializer.to_dict(workflow)
    dct[_serializer.VERSION_KEY] = _serializer.VERSION
    return orjson.dumps(dct).decode()


def load_workflow(state: str, parsed: ParsedProcess) -> BpmnWorkflow:
    """Restore a workflow from its JSON state and its process version's parsed spec."""
    dct = orjson.loads(state)
    _serializer.migrate(dct)
    workflow = _serializer.from_dict(dct, parsed=parsed)
    # The script engine is not serialized; without it the case would run on an unrestricted engine.
    workflow.script_engine = SCRIPT_ENGINE
    return workflow


def new_workflow(parsed: ParsedProcess) -> BpmnWorkflow:
    """Create a workflow for a process version, on the platform's script engine."""
    return BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=SCRIPT_ENGINE)

"""The restricted script engine: safe builtins, the functions processes/ registers, its service operations."""

import builtins
import json

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from processes.functions import SCRIPT_FUNCTIONS
from processes.services import SERVICE_OPERATIONS

_SAFE_NAMES = (
    "abs", "all", "any", "bool", "dict", "enumerate", "filter", "float", "int", "isinstance", "len", "list",
    "map", "max", "min", "range", "reversed", "round", "set", "sorted", "str", "sum", "tuple", "zip",
    "True", "False", "None", "Exception", "ValueError", "KeyError", "TypeError",
)
SAFE_BUILTINS = {name: getattr(builtins, name) for name in _SAFE_NAMES}


class ServiceCallError(Exception):
    """A service operation failed; the message names it and says why."""


class PlatformEnvironment(TaskDataEnvironment):
    def call_service(self, context, operation_name=None, operation_params=None, task_data=None, **_):
        # Errors are raised here, with the operation's name, because SpiffWorkflow's own error path
        # replaces them with an unrelated NameError.
        operation = SERVICE_OPERATIONS.get(operation_name)
        if operation is None:
            raise ServiceCallError(f"service operation {operation_name!r} is not registered")
        params = {name: spec.get("value") for name, spec in (operation_params or {}).items()}
        try:
            return json.dumps(operation(**params))
        except Exception as error:
            raise ServiceCallError(f"service operation {operation_name!r} failed: {error}") from error


def reserved_names() -> set[str]:
    """Name the globals task data must not overwrite."""
    return set(SCRIPT_FUNCTIONS) | {"__builtins__"}


SCRIPT_ENGINE = PythonScriptEngine(
    environment=PlatformEnvironment({"__builtins__": SAFE_BUILTINS, **SCRIPT_FUNCTIONS})
)

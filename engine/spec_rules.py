"""The platform's own checks on a parsed diagram, beyond what BPMN and SpiffWorkflow require."""

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.spiff.specs.defaults import ServiceTask

from engine.scripting import SAFE_BUILTINS
from processes.agency_kinds import AGENCY_KINDS, kind_for_lane
from processes.deadlines import DeadlineSyntaxError, parse_deadline
from processes.forms import UnknownFormError, load_form
from processes.functions import SCRIPT_FUNCTIONS
from processes.services import SERVICE_OPERATIONS

# An ISO 8601 duration, date or cycle written without quotes is read as a Python name and fails at run time.
_BARE_ISO = re.compile(r"^(R\d*/)?P[0-9TWYMDHS.,]+$|^\d{4}-\d{2}-\d{2}T", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    file: str
    element: str
    message: str


def _element(task_spec) -> str:
    name = getattr(task_spec, "bpmn_name", None)
    return f"{task_spec.bpmn_id} ({name})" if name else str(task_spec.bpmn_id)


def _unknown_calls(tree: ast.AST) -> list[str]:
    """Name the functions a script or expression calls that are neither registered nor defined in it."""
    defined = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    defined |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    known = set(SCRIPT_FUNCTIONS) | set(SAFE_BUILTINS) | defined
    called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    return sorted(called - known)


def _unknown_calls_problem(tree: ast.AST, what: str) -> str | None:
    unknown = _unknown_calls(tree)
    if unknown:
        return (f"{what} calls {', '.join(unknown)}, which is not a registered script function "
                f"(processes/ registers: {', '.join(sorted(SCRIPT_FUNCTIONS))})")
    return None


def _check_expression(expression: str, what: str) -> str | None:
    if _BARE_ISO.match(expression.strip()):
        return f'{what} {expression!r} must be a quoted string: write "{expression.strip()}"'
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as error:
        return f"{what} {expression!r} is not a valid Python expression: {error.msg}"
    return _unknown_calls_problem(tree, what)


def _check_script(script: str, what: str) -> str | None:
    try:
        tree = ast.parse(script, mode="exec")
    except SyntaxError as error:
        return f"{what} has a syntax error on line {error.lineno}: {error.msg}"
    return _unknown_calls_problem(tree, what)


def _check_user_task(task_spec) -> Iterator[str]:
    if kind_for_lane(task_spec.lane) is None:
        known = "、".join(kind.name for kind in AGENCY_KINDS)
        lane = f"lane {task_spec.lane!r}" if task_spec.lane else "no lane"
        yield f"user task is in {lane}; put it in a lane named after an agency kind: {known}"
    properties = getattr(task_spec, "extensions", {}).get("properties", {})
    if "deadline" in properties:
        try:
            parse_deadline(properties["deadline"])
        except DeadlineSyntaxError as error:
            yield str(error)
    if "form" in properties:
        try:
            load_form(properties["form"])
        except UnknownFormError as error:
            yield str(error)


def _problems(task_spec) -> Iterator[str]:
    if isinstance(task_spec, UserTask):
        yield from _check_user_task(task_spec)
    if isinstance(task_spec, ServiceTask) and task_spec.operation_name not in SERVICE_OPERATIONS:
        yield (f"service operation {task_spec.operation_name!r} is not registered; "
               f"known operations: {', '.join(sorted(SERVICE_OPERATIONS))}")
    event_definition = getattr(task_spec, "event_definition", None)
    if isinstance(event_definition, TimerEventDefinition):
        problem = _check_expression(event_definition.expression, "timer expression")
        if problem:
            yield problem
    for condition, _target in getattr(task_spec, "cond_task_specs", []):
        expression = getattr(condition, "args", [None])[0]
        problem = expression and _check_expression(expression, "condition")
        if problem:
            yield problem
    for attribute, what in (("script", "script"), ("prescript", "pre-script"), ("postscript", "post-script")):
        script = getattr(task_spec, attribute, None)
        problem = script and _check_script(script, what)
        if problem:
            yield problem
    properties = getattr(task_spec, "extensions", {}).get("properties", {})
    if properties.get("agency_kind_from") and not isinstance(task_spec, UserTask):
        yield "agency_kind_from is only read on user tasks"


def check_platform_rules(specs) -> Iterator[Problem]:
    """Yield what would stop the platform from running these process specs."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "bpmn_id", None) is None:
                continue
            for message in _problems(task_spec):
                yield Problem(file=spec.file or "", element=_element(task_spec), message=message)

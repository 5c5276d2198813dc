"""The workflow engine: the only package that imports SpiffWorkflow.

Public API: deploy versions, start and advance cases, query tasks. Every command is one transaction.
"""

from engine.cases import due_case_ids, fire_case_timers, fire_due_timers, start_case
from engine.deploy import deploy
from engine.errors import (
    ConflictError,
    DeployError,
    EngineError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    ProcessError,
)
from engine.extensions import decide_extension, get_extension, list_extensions, request_extension
from engine.queries import get_case, list_processes, list_tasks
from engine.tasks import claim_task, complete_task, reassign_task, return_task, unclaim_task

__all__ = [
    "ConflictError", "DeployError", "EngineError", "InvalidInputError", "NotFoundError",
    "PermissionDeniedError", "ProcessError", "claim_task", "complete_task", "decide_extension", "deploy",
    "due_case_ids", "fire_case_timers", "fire_due_timers", "get_case", "get_extension", "list_extensions",
    "list_processes", "list_tasks",
    "reassign_task", "request_extension", "return_task", "start_case", "unclaim_task",
]

"""Write the reporting facts of cases and tasks at the moment the engine learns them.

The indicators read these columns with SQL; nothing here is read back by the engine itself.
"""

from datetime import datetime

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task
from sqlalchemy import Row, bindparam, update

from engine.case_store import CASE, TASK
from engine.transaction import connection
from processes.reporting import FACT_FIELDS, case_facts
from processes.stages import loop_step

_MARK_DIVERTED = (update(CASE).where(CASE.c.id == bindparam("case_id"), CASE.c.diverted_at.is_(None))
                  .values(diverted_at=bindparam("at")))
_RECORD_VISIT = update(TASK).where(TASK.c.id == bindparam("task_id")).values(satisfied=bindparam("satisfied"))


def workflow_data(workflow: BpmnWorkflow, ready: list[Task]) -> dict:
    """The case's data as it stands: the workflow's, then the latest task's, then the waiting (`ready`) tasks'."""
    data = dict(workflow.data)
    if workflow.last_task is not None:
        data.update(workflow.last_task.data)
    for task in ready:
        data.update(task.data)
    return data


def facts(workflow: BpmnWorkflow, ready: list[Task]) -> dict:
    """The case's reporting columns (FACT_FIELDS) from its workflow and its READY tasks."""
    return case_facts(workflow_data(workflow, ready))


def note_handling_started(task: Row, at: datetime, *, diverted_at: datetime | None) -> None:
    """Remember when a case first reached the agency that handles it (a handling step claimed or done).

    `diverted_at` is the case's, as the command read it: once set, there is nothing to write.
    """
    if diverted_at is None and loop_step(task.stage) == "handling":
        connection().execute(_MARK_DIVERTED, {"case_id": task.case_id, "at": at})


def note_visit(task: Row, data: dict) -> None:
    """Keep a return visit's answer (satisfied or not) on its task row."""
    if loop_step(task.stage) == "return_visit" and isinstance(data.get("satisfied"), bool):
        connection().execute(_RECORD_VISIT, {"task_id": task.id, "satisfied": data["satisfied"]})


__all__ = ["FACT_FIELDS", "facts", "note_handling_started", "note_visit", "workflow_data"]

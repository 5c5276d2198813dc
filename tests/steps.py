"""Steps the tests share: working a task as a user, reading what happened, racing two commands."""

import threading
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine import claim_task, complete_task, get_case
from engine.db import db
from engine.models import Agency, Task
from engine.scripting import SCRIPT_ENGINE


def work(task_id: int, username: str, data: dict):
    """Claim and complete a task as `username`; return the case as it stands afterwards."""
    claim_task(task_id=task_id, username=username)
    return complete_task(task_id=task_id, username=username, data=data)


def only(case, bpmn_id: str, agency: str):
    """Assert the case has exactly one open task, this one at this agency; return it."""
    [task] = case.open_tasks
    assert (task.bpmn_id, task.agency_code) == (bpmn_id, agency)
    return task


def handled(case_id: int) -> list[tuple[str, str, str]]:
    """(task, agency, actor) of every completed task, in order."""
    steps = []
    for event in get_case(case_id).events:
        if event.event == "completed":
            task = db.session.get(Task, event.task_id)
            steps.append((task.bpmn_id, db.session.get(Agency, task.candidate_agency_id).code, event.actor))
    return steps


def created(case_id: int) -> list[str]:
    """The BPMN ids of the tasks created on a case, in order."""
    return [event.data["bpmn_id"] for event in get_case(case_id).events if event.event == "task_created"]


def race(app, calls) -> list[object]:
    """Run the calls in threads released together; return each result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index, call):
        with app.app_context():
            barrier.wait()
            try:
                results[index] = call()
            except Exception as error:  # the test inspects what each thread got
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def decision_table(bpmn: Path, dmn: Path, process_id: str, decision_id: str):
    """Return run(data) -> (matching rule ids, result) for one decision table, on the platform's script engine."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(bpmn))
    parser.add_dmn_file(str(dmn))
    table = parser.get_engine(decision_id, None)
    spec = parser.get_spec(process_id)

    def run(data: dict) -> tuple[list[str], dict]:
        task = BpmnWorkflow(spec, script_engine=SCRIPT_ENGINE).get_tasks(state=TaskState.READY)[0]
        task.data = dict(data)
        return [rule.id for rule in table.decide(task)], table.result(task)

    return run

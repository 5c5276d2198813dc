"""A command that fails part-way leaves the database exactly as it was."""

import pytest
from sqlalchemy import func, select, update

from engine import ConflictError, ProcessError, claim_task, complete_task, deploy, start_case
from engine.db import db, utcnow
from engine.models import AuditEvent, Case, Task
from engine.scripting import SCRIPT_ENGINE
from processes.functions import SCRIPT_FUNCTIONS
from tests.engine import samples

LOCATION = {"location": "sjm-duntou-g1"}

FAILING_AT_START = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="Defs_Fail"
    targetNamespace="http://gongzhi.example/samples">
  <bpmn:process id="fails_at_start" name="启动即失败" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="Script_Divide" name="计算">
      <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
      <bpmn:script>ratio = 1 / 0</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Script_Divide" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Script_Divide" targetRef="EndEvent_1" />
  </bpmn:process>
</bpmn:definitions>
"""


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_failing_script_after_a_task_rolls_the_whole_command_back(demo):
    deploy(sources={"broken.bpmn": samples.sample_bpmn(script="ratio = 1 / 0")})
    case = start_case(process_id="sample_referral", data=LOCATION)
    task = case.open_tasks[0]
    claim_task(task_id=task.id, username="sjm-duntou")
    row = db.session.get(Case, case.id)
    before = (row.version, row.state, count(AuditEvent), count(Task))
    db.session.expire_all()

    with pytest.raises(ProcessError, match="division by zero"):
        complete_task(task_id=task.id, username="sjm-duntou", data={})

    row = db.session.get(Case, case.id)
    assert (row.version, row.state, count(AuditEvent), count(Task)) == before
    assert db.session.get(Task, task.id).status == "claimed"


def test_a_case_that_fails_while_starting_is_not_created(demo):
    deploy(sources={"fails.bpmn": FAILING_AT_START})
    cases, events = count(Case), count(AuditEvent)
    with pytest.raises(ProcessError, match=r"Script_Divide \(计算\)"):
        start_case(process_id="fails_at_start", data=LOCATION)
    assert (count(Case), count(AuditEvent)) == (cases, events)


def test_a_case_saved_elsewhere_while_a_command_runs_is_refused(demo, monkeypatch):
    def another_server_saves_the_case():
        with db.engine.begin() as other:
            other.execute(update(Case).values(version=Case.version + 1, updated_at=utcnow()))

    monkeypatch.setitem(SCRIPT_ENGINE.environment.globals, "meanwhile", another_server_saves_the_case)
    monkeypatch.setitem(SCRIPT_FUNCTIONS, "meanwhile", another_server_saves_the_case)
    deploy(sources={"race.bpmn": samples.sample_bpmn(script="meanwhile()")})
    task = start_case(process_id="sample_referral", data=LOCATION).open_tasks[0]
    claim_task(task_id=task.id, username="sjm-duntou")

    with pytest.raises(ConflictError, match="someone else changed this case"):
        complete_task(task_id=task.id, username="sjm-duntou", data={})
    assert db.session.get(Task, task.id).status == "claimed"
    assert count(AuditEvent) == 3  # case started, task created, claimed: nothing from the failed command

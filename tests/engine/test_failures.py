"""A command that fails part-way leaves the database exactly as it was."""

import pytest
from sqlalchemy import func, select

from engine import ConflictError, ProcessError, claim_task, complete_task, deploy, start_case
from engine.db import db, utcnow
from engine.models import AuditEvent, Case, Task
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


def test_a_stale_case_version_is_refused(demo):
    case = start_case(process_id="diversion", data={"category": "noise", "description": "噪音", **LOCATION})
    task = case.open_tasks[0]
    row = db.session.get(Case, case.id)
    # Another process saves the case between this session's read and its write.
    with db.engine.begin() as other:
        other.execute(Case.__table__.update().where(Case.id == case.id).values(version=row.version + 1,
                                                                                   updated_at=utcnow()))
    with pytest.raises(ConflictError, match="changed by someone else"):
        complete_task(task_id=task.id, username="city-dispatcher", data={"city_dispatch_note": "转"})
    db.session.expire_all()
    assert db.session.get(Task, task.id).status == "open"

"""Small BPMN documents for deploy and failure tests, built from one template."""

TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="Definitions_Sample" targetNamespace="http://gongzhi.example/samples">
  <bpmn:process id="{pid}" name="{name}" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_1" name="{lane}">
        <bpmn:flowNodeRef>StartEvent_1</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Task_Handle</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>After</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>EndEvent_1</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Task_Handle" name="处理">
      <bpmn:extensionElements>
        <spiffworkflow:properties>{properties}</spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_1</bpmn:incoming>
      <bpmn:outgoing>Flow_2</bpmn:outgoing>{task_outgoing}
    </bpmn:userTask>
    {after}
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Handle" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Handle" targetRef="After" />
    <bpmn:sequenceFlow id="Flow_3" sourceRef="After" targetRef="EndEvent_1" />
    {extra}
  </bpmn:process>
</bpmn:definitions>
"""

SCRIPT_AFTER = """<bpmn:scriptTask id="After" name="记录">
      <bpmn:incoming>Flow_2</bpmn:incoming><bpmn:outgoing>Flow_3</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>"""

DEFAULT_PROPERTIES = '<spiffworkflow:property name="deadline" value="2 hours" />'


def sample_bpmn(*, pid="sample_referral", name="测试流程", lane="社区居委会", properties=DEFAULT_PROPERTIES,
                script="handled = True", after=None, task_outgoing="", extra="") -> str:
    """Return a one-user-task process: start, 处理 (user task), a script task, end."""
    return TEMPLATE.format(pid=pid, name=name, lane=lane, properties=properties, task_outgoing=task_outgoing,
                           after=after or SCRIPT_AFTER.format(script=script), extra=extra)


TWO_OUTGOING = {
    "task_outgoing": "\n      <bpmn:outgoing>Flow_4</bpmn:outgoing>",
    "extra": '<bpmn:sequenceFlow id="Flow_4" sourceRef="Task_Handle" targetRef="EndEvent_1" />',
}

UNQUOTED_TIMER = {
    "extra": """<bpmn:boundaryEvent id="Timer_Late" name="超时" attachedToRef="Task_Handle">
      <bpmn:outgoing>Flow_5</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT30M</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="End_Late"><bpmn:incoming>Flow_5</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_5" sourceRef="Timer_Late" targetRef="End_Late" />""",
}

MISSING_CALLED_PROCESS = {
    "after": """<bpmn:callActivity id="After" name="调用子流程" calledElement="no_such_process">
      <bpmn:incoming>Flow_2</bpmn:incoming><bpmn:outgoing>Flow_3</bpmn:outgoing>
    </bpmn:callActivity>""",
}

UNKNOWN_SERVICE = {
    "after": """<bpmn:serviceTask id="After" name="调用服务">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="no_such_operation" resultVariable="result" />
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_2</bpmn:incoming><bpmn:outgoing>Flow_3</bpmn:outgoing>
    </bpmn:serviceTask>""",
}

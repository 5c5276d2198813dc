"""Scripts run on a restricted engine that knows only what processes/ registers."""

import pytest

from engine import DeployError, ProcessError, claim_task, complete_task, deploy, start_case
from tests.engine import samples

LOCATION = {"location": "sjm-duntou-g1"}


def run_script(script: str):
    deploy(sources={"script.bpmn": samples.sample_bpmn(script=script)})
    task = start_case(process_id="sample_referral", data=LOCATION).open_tasks[0]
    claim_task(task_id=task.id, username="sjm-duntou")
    return complete_task(task_id=task.id, username="sjm-duntou", data={})


def test_scripts_may_call_the_registered_functions(demo):
    assert run_script('label = funnel_level_label("court")').status == "completed"


@pytest.mark.parametrize("script", ["import os", 'reader = open; handle = reader("/etc/passwd")'])
def test_scripts_cannot_import_or_open_files_at_run_time(demo, script):
    with pytest.raises(ProcessError):
        run_script(script)


@pytest.mark.parametrize("script", ['handle = open("/etc/passwd")', "__import__('os')", "x = eval('1')"])
def test_deploy_refuses_scripts_that_call_unregistered_functions(demo, script):
    with pytest.raises(DeployError, match="not a registered script function"):
        deploy(sources={"script.bpmn": samples.sample_bpmn(script=script)})

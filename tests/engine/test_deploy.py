"""Deploying diagrams: versions, no-op redeploys, and errors that name the file, element and problem."""

import pytest
from sqlalchemy import func, select

from engine import DeployError, PermissionDeniedError, claim_task, complete_task, deploy, list_processes, start_case
from engine.db import db
from engine.deploy import read_sources
from engine.models import ProcessVersion
from engine.specs import spec_for_version
from tests.engine import samples

LOCATION = {"location": "sjm-duntou-g1"}


def versions() -> int:
    return db.session.scalar(select(func.count()).select_from(ProcessVersion))


def test_shipped_diagrams_deploy_with_the_files_each_process_needs(demo):
    by_id = {v.process_id: v for v in list_processes()}
    assert by_id["diversion"].files == ["diversion.bpmn", "diversion.dmn", "diversion_reroute.dmn",
                                        "diversion_visit_outcome.dmn"]
    assert by_id["dispute_funnel"].files == ["dispute_funnel.bpmn", "dispute_funnel.dmn"]
    assert by_id["sea_land"].files == ["sea_land.bpmn", "sea_land.dmn"]
    assert by_id["diversion"].deployed_by == "designer"


def test_deploying_identical_content_changes_nothing(demo):
    before = versions()
    results = deploy(sources=read_sources(["bpmn"]))
    assert {(r.process_id, r.version, r.created) for r in results} == {
        (pid, 1, False) for pid in ("diversion", "dispute_funnel", "sea_land", "one_window")}
    assert versions() == before


def test_a_new_version_leaves_running_cases_on_theirs(demo):
    deploy(sources={"sample.bpmn": samples.sample_bpmn()})
    old_case = start_case(process_id="sample_referral", data=LOCATION)
    [result] = deploy(sources={"sample.bpmn": samples.sample_bpmn(name="测试流程（修订）")})
    assert (result.version, result.created) == (2, True)

    new_case = start_case(process_id="sample_referral", data=LOCATION)
    assert (old_case.process_version, new_case.process_version) == (1, 2)
    task = old_case.open_tasks[0]
    claim_task(task_id=task.id, username="sjm-duntou")
    finished = complete_task(task_id=task.id, username="sjm-duntou", data={})
    assert (finished.status, finished.process_version) == ("completed", 1)


@pytest.mark.parametrize(("sources", "expected"), [
    ({"bad.bpmn": "<bpmn:definitions"}, ["bad.bpmn", "line 1", "malformed XML"]),
    ({"two.bpmn": samples.sample_bpmn(**samples.TWO_OUTGOING)},
     ["two.bpmn", "Task_Handle", "Multiple outgoing flows"]),
    ({"call.bpmn": samples.sample_bpmn(**samples.MISSING_CALLED_PROCESS)}, ["call.bpmn", "no_such_process"]),
    ({"timer.bpmn": samples.sample_bpmn(**samples.UNQUOTED_TIMER)},
     ["timer.bpmn", "Timer_Late", 'must be a quoted string: write "PT30M"']),
    ({"lane.bpmn": samples.sample_bpmn(lane="不存在的部门")},
     ["lane.bpmn", "Task_Handle (处理)", "'不存在的部门'", "联动处置分队"]),
    ({"svc.bpmn": samples.sample_bpmn(**samples.UNKNOWN_SERVICE)},
     ["svc.bpmn", "After", "'no_such_operation' is not registered", "assess_priority"]),
    ({"dl.bpmn": samples.sample_bpmn(properties='<spiffworkflow:property name="deadline" value="soon" />')},
     ["dl.bpmn", "Task_Handle", "deadline 'soon' is not understood"]),
    ({"form.bpmn": samples.sample_bpmn(properties='<spiffworkflow:property name="form" value="nope" />')},
     ["form.bpmn", "form 'nope' does not exist"]),
    ({"script.bpmn": samples.sample_bpmn(script="x = = 1")}, ["script.bpmn", "After", "syntax error"]),
    ({"ids.bpmn": samples.sample_bpmn().replace("StartEvent_1", "Start")}, ["ids.bpmn", "'Start' is reserved"]),
    ({"calls.bpmn": samples.sample_bpmn(script="level = no_such_helper(1)")},
     ["calls.bpmn", "After", "calls no_such_helper, which is not a registered script function"]),
    ({"notes.txt": "hello"}, ["notes.txt", "only .bpmn and .dmn"]),
    ({}, ["no BPMN or DMN files"]),
])
def test_a_bad_file_is_refused_with_a_message_that_locates_the_problem(app, sources, expected):
    with pytest.raises(DeployError) as error:
        deploy(sources=sources)
    for fragment in expected:
        assert fragment in error.value.message
    assert versions() == 0


def test_one_bad_file_stops_the_whole_deploy(demo):
    before = versions()
    sources = {**read_sources(["bpmn"]), "sample.bpmn": samples.sample_bpmn(**samples.TWO_OUTGOING)}
    with pytest.raises(DeployError):
        deploy(sources=sources)
    assert versions() == before


def test_read_sources_refuses_missing_paths_and_duplicate_names(tmp_path):
    with pytest.raises(DeployError, match="no such file"):
        read_sources([str(tmp_path / "missing.bpmn")])
    with pytest.raises(DeployError, match=r"holds no \.bpmn"):
        read_sources([str(tmp_path)])
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.bpmn").write_text(samples.sample_bpmn())
    (tmp_path / "x.bpmn").write_text(samples.sample_bpmn())
    with pytest.raises(DeployError, match=r"two files are named x\.bpmn"):
        read_sources([str(tmp_path / "a"), str(tmp_path / "x.bpmn")])


def test_a_stored_version_is_parsed_once(demo):
    version = db.session.scalar(select(ProcessVersion).where(ProcessVersion.process_id == "diversion"))
    first = spec_for_version(version.id, version.content_hash, version.process_id, lambda: version.sources)
    again = spec_for_version(version.id, version.content_hash, version.process_id, dict)
    assert first is again and first.spec.name == "diversion"


def test_only_designers_may_deploy(demo):
    with pytest.raises(PermissionDeniedError, match="designer role"):
        deploy(sources={"sample.bpmn": samples.sample_bpmn()}, username="sjm-squad")
    [result] = deploy(sources={"sample.bpmn": samples.sample_bpmn()}, username="designer")
    assert result.created

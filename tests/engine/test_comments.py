"""Comments on tasks (任务留言): who may read and write them, their order, and what a body may hold."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from engine import InvalidInputError, NotFoundError, claim_task, complete_task, start_case
from engine.comments import MAX_BODY, add_comment, list_comments
from engine.db import db
from engine.models import AuditEvent, Task, TaskComment
from engine.org import get_actor

NOISE = {"category": "noise", "location": "sjm-duntou-g1", "description": "噪音"}
MONDAY = datetime(2026, 5, 11, 1, 0, tzinfo=UTC)


def city_task():
    """The open city-dispatch task of a case the Shenjiamen police station started."""
    return start_case(process_id="diversion", data=NOISE, username="sjm-police").open_tasks[0]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_comments_are_listed_oldest_first_with_author_and_time(demo):
    with time_machine.travel(MONDAY, tick=False) as clock:
        task = city_task()
        writers = [("city-dispatcher", "已收到，正在核实"), ("sjm-police", "报警人电话 138xxxx"),
                   ("city-supervisor", "请今天内转区级")]
        added = []
        for username, body in writers:
            clock.shift(timedelta(minutes=10))
            added.append(add_comment(task_id=task.id, username=username, body=body))

    listed = list_comments(task_id=task.id, actor=get_actor("city-dispatcher"))
    assert listed == added
    assert [(c.author, c.body) for c in listed] == writers
    assert [c.created_at for c in listed] == [MONDAY + timedelta(minutes=m) for m in (10, 20, 30)]
    assert {(c.task_id, c.case_id) for c in listed} == {(task.id, task.case_id)}


def test_a_comment_belongs_to_its_task_only(demo):
    first, second = city_task(), city_task()
    add_comment(task_id=first.id, username="city-dispatcher", body="第一件")
    assert list_comments(task_id=second.id, actor=get_actor("city-dispatcher")) == []


def test_anyone_who_sees_the_case_may_comment_and_read(demo):
    task = city_task()
    # The task's agency, the station that started the case, a supervisor above, and an administrator.
    for username in ("city-dispatcher", "sjm-police", "sjm-supervisor", "admin"):
        add_comment(task_id=task.id, username=username, body=f"{username} 留言")
        assert len(list_comments(task_id=task.id, actor=get_actor(username))) >= 1


@pytest.mark.parametrize("username", ["dg-squad", "dg-supervisor", "pt-clerk"])
def test_a_task_whose_case_is_invisible_does_not_exist(demo, username):
    task = city_task()
    add_comment(task_id=task.id, username="city-dispatcher", body="内部留言")
    with pytest.raises(NotFoundError, match=f"task {task.id} does not exist"):
        add_comment(task_id=task.id, username=username, body="能看到吗")
    with pytest.raises(NotFoundError, match=f"task {task.id} does not exist"):
        list_comments(task_id=task.id, actor=get_actor(username))
    assert count(TaskComment) == 1


def test_an_unknown_task_or_user_does_not_exist(demo):
    task = city_task()
    with pytest.raises(NotFoundError, match="task 999999 does not exist"):
        add_comment(task_id=999999, username="city-dispatcher", body="x")
    with pytest.raises(NotFoundError, match="task 999999 does not exist"):
        list_comments(task_id=999999, actor=get_actor("admin"))
    with pytest.raises(NotFoundError, match="user 'ghost' does not exist"):
        add_comment(task_id=task.id, username="ghost", body="x")


def test_the_body_is_trimmed_and_may_span_lines(demo):
    task = city_task()
    comment = add_comment(task_id=task.id, username="city-dispatcher", body="  第一行\n\t第二行 \n ")
    assert comment.body == "第一行\n\t第二行"
    longest = "字" * MAX_BODY
    assert add_comment(task_id=task.id, username="city-dispatcher", body=f" {longest} ").body == longest
    assert [c.body for c in list_comments(task_id=task.id, actor=get_actor("admin"))] == [comment.body, longest]


@pytest.mark.parametrize(("body", "message"), [
    ("", "cannot be empty"),
    (" \n\t ", "cannot be empty"),
    (None, "must be text"),
    ("字" * (MAX_BODY + 1), f"at most {MAX_BODY} characters; this one has {MAX_BODY + 1}"),
    ("含\x00空字符", "control characters"),
    ("响铃\x07", "control characters"),
])
def test_a_bad_body_is_refused_with_the_field_to_fix(demo, body, message):
    task = city_task()
    with pytest.raises(InvalidInputError, match=message) as refused:
        add_comment(task_id=task.id, username="city-dispatcher", body=body)
    assert list(refused.value.details) == ["body"]
    assert count(TaskComment) == 0


def test_commenting_leaves_the_task_and_the_audit_log_alone(demo):
    task = city_task()
    version, events = db.session.get(Task, task.id).version, count(AuditEvent)
    add_comment(task_id=task.id, username="city-dispatcher", body="先看看")
    db.session.expire_all()
    assert (db.session.get(Task, task.id).version, count(AuditEvent)) == (version, events)
    # A comment does not get in the way of working the task.
    claim_task(task_id=task.id, username="city-dispatcher")


def test_closed_tasks_still_take_comments(demo):
    task = city_task()
    claim_task(task_id=task.id, username="city-dispatcher")
    complete_task(task_id=task.id, username="city-dispatcher", data={"city_dispatch_note": "转区级"})
    comment = add_comment(task_id=task.id, username="sjm-police", body="报警人又来电询问进度")
    assert list_comments(task_id=task.id, actor=get_actor("pt-dispatcher")) == [comment]

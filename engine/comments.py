"""Comments on tasks (任务留言): notes between the people working a case, only ever added.

Whoever may see a task's case may read and add its comments. A comment is its own record, so adding
one writes no audit event and does not change the task or its version.
"""

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, select

from engine import case_store
from engine.case_store import TASK
from engine.db import utcnow
from engine.errors import InvalidInputError, NotFoundError
from engine.models import TaskComment
from engine.org import USER, Actor
from engine.transaction import connection, transaction
from engine.visibility import can_see_case

MAX_BODY = 2000
COMMENT = TaskComment.__table__
_INSERT_COMMENT = insert(COMMENT).returning(COMMENT.c.id)
_TASK_CASE = select(TASK.c.case_id).where(TASK.c.id == bindparam("task_id"))
_COMMENTS = (
    select(COMMENT.c.id, COMMENT.c.task_id, COMMENT.c.case_id, USER.c.username.label("author"), COMMENT.c.body,
           COMMENT.c.created_at)
    .join(USER, COMMENT.c.author_id == USER.c.id)
    .where(COMMENT.c.task_id == bindparam("task_id"))
    .order_by(COMMENT.c.created_at, COMMENT.c.id)
)
_LINE_BREAKS = {"\n", "\r", "\t"}


@dataclass(frozen=True)
class CommentView:
    id: int
    task_id: int
    case_id: int
    author: str
    body: str
    created_at: datetime


def _clean_body(body: str) -> str:
    if not isinstance(body, str):
        raise InvalidInputError("a comment must be text", details={"body": ["must be a string"]})
    body = body.strip()
    if not body:
        raise InvalidInputError("a comment cannot be empty", details={"body": ["required"]})
    if len(body) > MAX_BODY:
        raise InvalidInputError(f"a comment has at most {MAX_BODY} characters; this one has {len(body)}",
                                details={"body": [f"at most {MAX_BODY} characters"]})
    # Control characters show as nothing on a page, and PostgreSQL refuses NUL in text.
    if any(unicodedata.category(char) == "Cc" and char not in _LINE_BREAKS for char in body):
        raise InvalidInputError("a comment may not contain control characters",
                                details={"body": ["contains control characters"]})
    return body


def add_comment(*, task_id: int, username: str, body: str) -> CommentView:
    """Add a comment to a task whose case the user may see.

    The body is trimmed and must then hold 1 to 2000 characters (InvalidInputError with the error under
    `body`). A task the user may not see does not exist for them (NotFoundError). Closed tasks take
    comments too: the discussion may go on after the work is done.
    """
    with transaction() as unit:
        task, actor = case_store.load_task_and_actor(task_id, username)
        if not can_see_case(actor, task.case_id):
            raise NotFoundError(f"task {task_id} does not exist")
        body = _clean_body(body)
        now = utcnow()
        comment_id = unit.conn.execute(_INSERT_COMMENT, {
            "task_id": task.id, "case_id": task.case_id, "author_id": actor.id, "body": body, "created_at": now,
        }).scalar_one()
        return CommentView(comment_id, task.id, task.case_id, actor.username, body, now)


def list_comments(*, task_id: int, actor: Actor) -> list[CommentView]:
    """Return a task's comments, oldest first; NotFoundError when the actor may not see the task."""
    case_id = connection().execute(_TASK_CASE, {"task_id": task_id}).scalar()
    if case_id is None or not can_see_case(actor, case_id):
        raise NotFoundError(f"task {task_id} does not exist")
    return [CommentView(**row._mapping) for row in connection().execute(_COMMENTS, {"task_id": task_id})]

"""Supervision notices (督办通知) a supervisor sends by hand, tracking them, and what a supervisor may do on a task.

Who may send: a supervisor whose agency is *above* the task's agency (the task's agency is in their
subtree and is not their own). A supervision notice pushes the agency below; at their own agency a
supervisor acts on the task instead. The notice goes to the task's agency as a whole, like the
monitor's notices, through `engine.notices.send_notices`, so the agency's channels (webhooks) hear of it.
"""

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from sqlalchemy import Row, bindparam, func, or_, select

from engine import audit, case_store
from engine.case_store import CASE, TASK
from engine.db import utcnow
from engine.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from engine.models import ACTIVE_TASK_STATUSES
from engine.notices import NOTICE, Recipient, send_notices
from engine.org import AGENCY, USER, Actor, can_act_on, is_within
from engine.queries import Page
from engine.transaction import connection, transaction
from engine.visibility import can_see_case

MAX_MESSAGE = 500
_LINE_BREAKS = {"\n", "\r", "\t"}
_RECIPIENT, _SENDER = AGENCY.alias("recipient"), USER.alias("sender")
_SENT = (
    select(NOTICE.c.id, NOTICE.c.kind, NOTICE.c.task_id, NOTICE.c.case_id, TASK.c.name.label("task_name"),
           CASE.c.title.label("case_title"), _RECIPIENT.c.code.label("agency_code"),
           _RECIPIENT.c.name.label("agency_name"), _SENDER.c.username.label("sent_by"), NOTICE.c.message,
           NOTICE.c.created_at, NOTICE.c.read_at)
    .select_from(NOTICE.join(_RECIPIENT, NOTICE.c.agency_id == _RECIPIENT.c.id)
                 .join(_SENDER, NOTICE.c.sent_by_id == _SENDER.c.id)
                 .outerjoin(TASK, NOTICE.c.task_id == TASK.c.id).outerjoin(CASE, NOTICE.c.case_id == CASE.c.id))
    .where(NOTICE.c.kind == "supervision")
)
_SENT_BY_KEY = _SENT.where(NOTICE.c.dedupe_key == bindparam("key"))
_AREA_IDS = select(AGENCY.c.id).where(func.substr(AGENCY.c.path, 1, bindparam("path_length")) == bindparam("path"))
_REASSIGN_TO = (select(AGENCY.c.code, AGENCY.c.name, AGENCY.c.level)
                .where(or_(func.substr(AGENCY.c.path, 1, bindparam("path_length")) == bindparam("path"),
                           AGENCY.c.cross_area.is_(True)))
                .order_by(AGENCY.c.path))


@dataclass(frozen=True)
class SentNotice:
    id: int
    kind: str
    task_id: int | None
    case_id: int | None
    task_name: str | None
    case_title: str | None
    agency_code: str  # the agency it was sent to
    agency_name: str
    sent_by: str
    message: str
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True)
class AgencyChoice:
    code: str
    name: str
    level: str


@dataclass(frozen=True)
class SupervisionPanel:
    """What a supervisor may do on a task from above: send a supervision notice, reassign it (改派)."""

    may_send_notice: bool
    may_reassign: bool
    reassign_to: list[AgencyChoice]  # the agencies of their area and the cross-area ones, but the task's own


def _above(actor: Actor, task: Row) -> bool:
    return (actor.has_role("supervisor") and task.candidate_agency_id is not None
            and task.candidate_agency_id != actor.agency_id and is_within(task.agency_path, actor.agency_path))


def _clean(message) -> str:
    if not isinstance(message, str):
        raise InvalidInputError("a supervision notice must be text", details={"message": ["must be a string"]})
    message = message.strip()
    if not message:
        raise InvalidInputError("a supervision notice needs a message saying what to do",
                                details={"message": ["required"]})
    if len(message) > MAX_MESSAGE:
        raise InvalidInputError(f"a supervision notice holds at most {MAX_MESSAGE} characters, this one has "
                                f"{len(message)}", details={"message": [f"at most {MAX_MESSAGE} characters"]})
    if any(unicodedata.category(char) == "Cc" and char not in _LINE_BREAKS for char in message):
        raise InvalidInputError("a supervision notice cannot contain control characters",
                                details={"message": ["control characters are not allowed"]})
    return message


def send_supervision_notice(*, task_id: int, username: str, message: str) -> SentNotice:
    """Send a supervision notice (督办通知) on an open or claimed task to the task's agency.

    Only a supervisor above the task's agency may send one. The message (1 to 500 characters) is kept
    with the task and case it is about; the agency's channels get it through the outbox, and the audit
    log records a `supervision_notice` event. Raises NotFoundError when the user may not see the task,
    PermissionDeniedError when they may see but not urge it, ConflictError when it is closed, and
    InvalidInputError (details by field: message) for a missing, too long or garbled message.
    """
    with transaction() as unit:
        task, actor = case_store.load_task_and_actor(task_id, username)
        if not can_see_case(actor, task.case_id):
            raise NotFoundError(f"task {task_id} does not exist")
        if not _above(actor, task):
            raise PermissionDeniedError(
                f"user {actor.username!r} ({actor.agency_name}) may not send a supervision notice on task "
                f"{task.id}: only a supervisor above {task.agency_name or 'its agency'} can")
        if task.status not in ACTIVE_TASK_STATUSES:
            raise ConflictError(f"task {task.id} is already {task.status}; there is nothing left to urge")
        text = _clean(message)
        now, key = utcnow(), f"supervision:task:{task.id}:by:{actor.id}:{uuid4().hex}"
        send_notices([{
            "kind": "supervision", "key": key, "recipient": Recipient(task.candidate_agency_id, None),
            "message": f"【督办通知】{actor.agency_name}督办{task.agency_name}的任务「{task.name}」"
                       f"（案件 #{task.case_id}）：{text}",
            "task_id": task.id, "case_id": task.case_id, "sent_by_id": actor.id}], at=now)
        sent = SentNotice(**unit.conn.execute(_SENT_BY_KEY, {"key": key}).one()._mapping)
        audit.record("supervision_notice", case_id=task.case_id, task_id=task.id, actor_id=actor.id, at=now,
                     data={"notice_id": sent.id, "to": task.agency_code, "message": text})
        return sent


def list_sent_notices(*, actor: Actor, unread: bool | None = None, page: int = 1, page_size: int = 20) -> Page:
    """One page of the supervision notices sent by hand to the agencies of the actor's area, newest first.

    Every supervisor of the area sees them, read or not (`unread` True or False keeps one of the two), so
    the notices of colleagues are tracked too. Raises PermissionDeniedError for anyone but a supervisor.
    """
    if not actor.has_role("supervisor"):
        raise PermissionDeniedError(f"user {actor.username!r} is not a supervisor: only supervisors track "
                                    "the supervision notices sent")
    conn = connection()
    area = conn.execute(_AREA_IDS, {"path": actor.agency_path, "path_length": len(actor.agency_path)}).scalars()
    query = _SENT.where(NOTICE.c.agency_id.in_(list(area)))
    if unread is not None:
        query = query.where(NOTICE.c.read_at.is_(None) if unread else NOTICE.c.read_at.is_not(None))
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(query.order_by(NOTICE.c.created_at.desc(), NOTICE.c.id.desc())
                        .limit(page_size).offset((page - 1) * page_size))
    return Page([SentNotice(**row._mapping) for row in rows], total, page, page_size)


def supervision_panel(task: Row, actor: Actor) -> SupervisionPanel | None:
    """What the actor may do on a task (a row of case_store.TASKS) as a supervisor; None for anyone else."""
    if not actor.has_role("supervisor") or task.status not in ACTIVE_TASK_STATUSES:
        return None
    may_reassign = can_act_on(actor, task)
    choices = []
    if may_reassign:
        rows = connection().execute(_REASSIGN_TO, {"path": actor.agency_path, "path_length": len(actor.agency_path)})
        choices = [AgencyChoice(row.code, row.name, row.level) for row in rows if row.code != task.agency_code]
    return SupervisionPanel(may_send_notice=_above(actor, task), may_reassign=may_reassign, reassign_to=choices)

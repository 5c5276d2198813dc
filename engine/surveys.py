"""Return visits by SMS (短信回访): a one-time link to a public page where the reporting party answers.

When a case reaches its return-visit task and the reporting party agreed to hear from the platform
(`notify_caller` with a `caller_phone` in the start form), a survey is offered: a random link texted to
them, valid GONGZHI_SURVEY_DAYS days (default 7). Their answer completes the return-visit task as the
diagram expects ("unsatisfied" sends the matter back to handling); staff may still make the visit by
phone, and whichever answer comes first counts. A link works once.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update

from engine.case_store import TASK, TASKS
from engine.db import utcnow
from engine.errors import ConflictError, InvalidInputError, NotFoundError
from engine.models import SATISFACTION_LEVELS
from engine.survey_offers import SURVEY, token_hash
from engine.tasks import finish_task
from engine.transaction import connection, transaction

MAX_COMMENT = 1000
_BY_HASH = select(SURVEY).where(SURVEY.c.token_hash == bindparam("token_hash"))
# Taking the answer is one conditional UPDATE: of two submissions, one wins.
_ANSWER = (update(SURVEY).where(SURVEY.c.id == bindparam("survey_id"), SURVEY.c.answered_at.is_(None),
                                SURVEY.c.expires_at > bindparam("now"))
           .values(answered_at=bindparam("now"), satisfaction=bindparam("satisfaction"),
                   comment=bindparam("comment")))
_TASK_BY_ID = TASKS.where(TASK.c.id == bindparam("task_id"))


@dataclass(frozen=True)
class SurveyView:
    case_id: int
    state: str  # open | answered | expired
    expires_at: datetime
    satisfaction: str | None


def _view(row, now: datetime) -> SurveyView:
    state = "answered" if row.answered_at else "expired" if row.expires_at <= now else "open"
    return SurveyView(row.case_id, state, row.expires_at, row.satisfaction)


def get_survey(token: str) -> SurveyView:
    """The survey a link opens; NotFoundError for a link that never existed."""
    row = connection().execute(_BY_HASH, {"token_hash": token_hash(token or "")}).first()
    if row is None:
        raise NotFoundError("this survey link does not exist; check the link in the text message")
    return _view(row, utcnow())


def answer_survey(*, token: str, satisfaction: str, comment: str | None = None) -> SurveyView:
    """Record the answer and complete the return-visit task with it.

    InvalidInputError for an unknown level or a comment over MAX_COMMENT characters, NotFoundError for an
    unknown link, ConflictError for a link answered before or expired.
    """
    comment = (comment or "").strip()
    if satisfaction not in SATISFACTION_LEVELS:
        raise InvalidInputError("choose how satisfied you are", details={"satisfaction": list(SATISFACTION_LEVELS)})
    if len(comment) > MAX_COMMENT:
        raise InvalidInputError(f"the comment is over {MAX_COMMENT} characters",
                                details={"comment": [f"at most {MAX_COMMENT} characters"]})
    with transaction() as unit:
        row = unit.conn.execute(_BY_HASH, {"token_hash": token_hash(token or "")}).first()
        if row is None:
            raise NotFoundError("this survey link does not exist; check the link in the text message")
        now = utcnow()
        if not unit.conn.execute(_ANSWER, {"survey_id": row.id, "now": now, "satisfaction": satisfaction,
                                           "comment": comment or None}).rowcount:
            state = _view(row, now).state
            raise ConflictError("this survey link has been used already" if state == "answered"
                                else "this survey link has expired")
        task = unit.conn.execute(_TASK_BY_ID, {"task_id": row.task_id}).first()
        if task.status in ("open", "claimed"):  # else staff made the visit first: the answer is kept anyway
            data = {"satisfied": satisfaction != "unsatisfied", "satisfaction": satisfaction, "visit_method": "sms",
                    "visit_note": comment or "短信回访"}
            finish_task(unit, task, None, {**data, "returned": False} if task.returnable else data,
                        outcome="completed", submitted=data)
    return SurveyView(row.case_id, "answered", row.expires_at, satisfaction)

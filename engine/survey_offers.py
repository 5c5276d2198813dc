"""Offering a return visit by SMS: the one-time link, texted when a return-visit task appears (see
engine/surveys.py for the answer)."""

import hashlib
import os
import secrets
from datetime import timedelta

from sqlalchemy import insert

from engine import outbox
from engine.db import utcnow
from engine.models import ReturnSurvey
from engine.transaction import current_unit
from processes.notice_templates import TEMPLATES

SURVEY = ReturnSurvey.__table__
RETURN_VISIT_STAGE = "return_visit"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def survey_days() -> int:
    return int(os.environ.get("GONGZHI_SURVEY_DAYS", "7"))


def public_url() -> str:
    """Where residents reach the platform (GONGZHI_PUBLIC_URL, default http://127.0.0.1:5000)."""
    return (os.environ.get("GONGZHI_PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")


def offer_survey(case_id: int, task_id: int, data: dict) -> bool:
    """Text a survey link for a new return-visit task (in the running command) if the caller agreed."""
    phone = data.get("caller_phone")
    if data.get("notify_caller") is not True or not phone:
        return False
    token, now = secrets.token_urlsafe(24), utcnow()
    current_unit().conn.execute(insert(SURVEY).values(
        case_id=case_id, task_id=task_id, token_hash=token_hash(token), phone=phone, created_at=now,
        expires_at=now + timedelta(days=survey_days())))
    # The link is the credential: the outbox keeps it only until the text is delivered.
    outbox.enqueue("sms", key=f"survey:{task_id}", payload={"to": phone, "private": True, "text": TEMPLATES[
        "survey"].format(case_id=case_id, link=f"{public_url()}/survey/{token}", days=survey_days())})
    return True

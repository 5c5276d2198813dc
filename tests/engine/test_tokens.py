"""API tokens: created once, stored hashed, acting as one active user until revoked."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select, update

from engine.db import db
from engine.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from engine.models import ApiToken, User
from engine.tokens import authenticate_token, create_token, list_tokens, revoke_token
from engine.users import verify_password

T0 = datetime(2026, 5, 11, 1, 0, tzinfo=UTC)


def _last_used(token_id: int) -> datetime | None:
    db.session.expire_all()
    return db.session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token_id))


def test_a_created_token_authenticates_as_its_user_and_only_its_hash_is_stored(demo):
    created = create_token(username="sjm-police", name="110 接警推送", created_by="admin")
    assert created.token.startswith("gz_") and len(created.token) == 46
    assert (created.name, created.username) == ("110 接警推送", "sjm-police")
    assert authenticate_token(created.token) == "sjm-police"

    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert stored == [hashlib.sha256(created.token.encode()).hexdigest()]
    assert created.token not in stored
    other = create_token(username="sjm-police", name="另一套系统")
    assert other.token != created.token and authenticate_token(other.token) == "sjm-police"


def test_list_shows_who_and_when_but_never_the_token(demo):
    with time_machine.travel(T0, tick=False):
        first = create_token(username="sjm-police", name="110 接警推送", created_by="admin")
        create_token(username="pt-dispatcher", name="区平台")
    revoke_token(token_id=first.id)
    views = list_tokens()
    assert [(v.name, v.username, v.created_by, v.active) for v in views] == [
        ("110 接警推送", "sjm-police", "admin", False), ("区平台", "pt-dispatcher", None, True)]
    assert views[1].created_at == T0 and views[1].last_used_at is None
    assert not any(hasattr(view, "token") or hasattr(view, "token_hash") for view in views)


def test_revoked_tokens_stop_working_and_revoking_again_changes_nothing(demo):
    created = create_token(username="sjm-police", name="110 接警推送")
    with time_machine.travel(T0, tick=False):
        revoke_token(token_id=created.id)
    assert authenticate_token(created.token) is None
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        revoke_token(token_id=created.id)
    assert list_tokens()[0].revoked_at == T0


def test_unknown_and_malformed_tokens_authenticate_nobody(demo):
    create_token(username="sjm-police", name="110 接警推送")
    for token in ("", "gz_", "Bearer", "gz_" + "A" * 43, "xx_" + "A" * 43, "gz_" + "A" * 44, "gz_" + "é" * 43,
                  "gz_" + "A" * 42 + "\n"):
        assert authenticate_token(token) is None, token


def test_a_disabled_users_tokens_stop_working(demo):
    created = create_token(username="sjm-police", name="110 接警推送")
    with db.engine.begin() as conn:
        conn.execute(update(User.__table__).where(User.username == "sjm-police").values(active=False))
    assert authenticate_token(created.token) is None
    with pytest.raises(NotFoundError, match="'sjm-police' does not exist or is disabled"):
        create_token(username="sjm-police", name="again")


def test_last_used_is_written_at_most_once_a_minute(demo):
    created = create_token(username="sjm-police", name="110 接警推送")
    assert _last_used(created.id) is None
    with time_machine.travel(T0, tick=False):
        authenticate_token(created.token)
    assert _last_used(created.id) == T0
    with time_machine.travel(T0 + timedelta(seconds=59), tick=False):
        assert authenticate_token(created.token) == "sjm-police"
    assert _last_used(created.id) == T0
    with time_machine.travel(T0 + timedelta(minutes=1, seconds=5), tick=False):
        authenticate_token(created.token)
    assert _last_used(created.id) == T0 + timedelta(minutes=1, seconds=5)


def test_bad_requests_say_what_to_fix(demo):
    with pytest.raises(NotFoundError, match="'nobody' does not exist"):
        create_token(username="nobody", name="x")
    with pytest.raises(InvalidInputError, match="name is required") as error:
        create_token(username="sjm-police", name="   ")
    assert error.value.details == {"name": ["required"]}
    with pytest.raises(InvalidInputError, match="at most 100 characters"):
        create_token(username="sjm-police", name="名" * 101)
    with pytest.raises(PermissionDeniedError, match="only administrators"):
        create_token(username="sjm-police", name="x", created_by="sjm-supervisor")
    with pytest.raises(NotFoundError, match="'ghost' does not exist"):
        create_token(username="sjm-police", name="x", created_by="ghost")
    with pytest.raises(NotFoundError, match="API token 999 does not exist"):
        revoke_token(token_id=999)
    assert list_tokens() == []


def test_passwords_are_checked_without_saying_what_was_wrong(demo):
    user = verify_password(username="sjm-police", password="gongzhi-demo")
    assert user is not None and user.username == "sjm-police" and user.has_role("staff")
    assert verify_password(username="sjm-police", password="wrong") is None
    assert verify_password(username="nobody", password="gongzhi-demo") is None
    with db.engine.begin() as conn:
        conn.execute(update(User.__table__).where(User.username == "sjm-police").values(active=False))
        conn.execute(update(User.__table__).where(User.username == "sjm-squad").values(password_hash=None))
    assert verify_password(username="sjm-police", password="gongzhi-demo") is None
    assert verify_password(username="sjm-squad", password="gongzhi-demo") is None

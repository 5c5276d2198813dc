"""Administrators manage users and roles: who may, what each field must be, and what may not be undone."""

from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from engine.db import db
from engine.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from engine.models import User
from engine.tokens import authenticate_token, create_token, list_tokens, revoke_token
from engine.users import create_user, get_user, get_user_record, list_users, update_user, verify_password
from tests.steps import race

T0 = datetime(2026, 5, 11, 1, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
NEW_USER = {"username": "sjm-police-2", "display_name": "沈家门派出所 王警官", "agency_code": "sjm-police",
            "roles": ["staff"], "password": PASSWORD}


def _stored_user(username: str) -> dict | None:
    db.session.expire_all()
    row = db.session.execute(select(User.__table__).where(User.username == username)).first()
    return dict(row._mapping) if row is not None else None


def _second_admin() -> None:
    create_user(actor_username="admin", username="admin-2", display_name="第二管理员", agency_code="zhoushan",
                roles=["admin"], password=PASSWORD)


def test_an_administrator_creates_a_user_who_can_log_in(demo):
    with time_machine.travel(T0, tick=False):
        user = create_user(actor_username="admin", **{**NEW_USER, "roles": ["supervisor", "staff", "staff"]})
    assert (user.username, user.display_name, user.agency_code, user.agency_name) == (
        "sjm-police-2", "沈家门派出所 王警官", "sjm-police", "沈家门派出所")
    assert user.roles == ("staff", "supervisor")  # in the order of ROLES, once each
    assert (user.active, user.has_password, user.created_at) == (True, True, T0)
    assert not any("password" in name and name != "has_password" for name in vars(user))

    stored = _stored_user("sjm-police-2")
    assert stored["password_hash"].startswith("scrypt:") and PASSWORD not in stored["password_hash"]
    assert stored["roles"] == "staff,supervisor"
    logged_in = verify_password(username="sjm-police-2", password=PASSWORD)
    assert logged_in is not None and logged_in.agency_code == "sjm-police" and logged_in.has_role("supervisor")
    assert verify_password(username="sjm-police-2", password=PASSWORD.upper()) is None
    assert get_user_record(actor_username="admin", username="sjm-police-2") == user


def test_only_active_administrators_may_manage_users(demo):
    _second_admin()
    calls = {
        "list": lambda actor: list_users(actor_username=actor),
        "read": lambda actor: get_user_record(actor_username=actor, username="sjm-police"),
        "read a user who does not exist": lambda actor: get_user_record(actor_username=actor, username="nobody"),
        "create": lambda actor: create_user(actor_username=actor, **NEW_USER),
        "create with bad input": lambda actor: create_user(actor_username=actor, **{**NEW_USER, "username": "X"}),
        "update": lambda actor: update_user(actor_username=actor, username="sjm-police", roles=["admin"]),
        "update a user who does not exist": lambda actor: update_user(actor_username=actor, username="nobody",
                                                                      active=False),
        "list tokens": lambda actor: list_tokens(actor_username=actor),
        "revoke a token": lambda actor: revoke_token(token_id=1, actor_username=actor),
        "create a token": lambda actor: create_token(username="sjm-police", name="x", created_by=actor),
    }
    update_user(actor_username="admin", username="admin-2", active=False)
    # Staff, supervisors and designers are refused, and so are a disabled administrator and nobody at all:
    # always before any word about the input or whether the user exists.
    for actor in ("sjm-police", "sjm-supervisor", "city-supervisor", "designer", "admin-2", "ghost"):
        for what, call in calls.items():
            if what == "create a token" and actor in ("admin-2", "ghost"):
                continue  # create_token says a disabled or unknown creator does not exist (NotFoundError)
            with pytest.raises(PermissionDeniedError, match=r"only .*administrators"):
                call(actor)
                pytest.fail(f"{actor} could {what}")
    assert _stored_user("sjm-police-2") is None and _stored_user("sjm-police")["roles"] == "staff"
    assert list_tokens() == []


@pytest.mark.parametrize(("field", "value", "problem"), [
    ("username", "ab", "3 to 64 characters"),
    ("username", "a" * 65, "3 to 64 characters"),
    ("username", "Zhang.San", "lowercase letters"),
    ("username", "zhang san", "lowercase letters"),
    ("username", "张三", "lowercase letters"),
    ("username", "zhang\n", "lowercase letters"),
    ("username", "", "3 to 64 characters"),
    ("display_name", "   ", "required"),
    ("display_name", "名" * 101, "at most 100 characters"),
    ("agency_code", "no-such-agency", "no agency has this code"),
    ("agency_code", "", "required"),
    ("roles", [], "one or more of staff, supervisor, designer, admin"),
    ("roles", ["staff", "root"], "unknown roles root"),
    ("roles", "admin", "give a list"),
    ("password", "short-pw1", "at least 10 characters"),
    ("password", "", "at least 10 characters"),
    ("password", "p" * 1025, "at most 1024 characters"),
])
def test_each_field_is_checked_and_the_error_names_it(demo, field, value, problem):
    with pytest.raises(InvalidInputError) as error:
        create_user(actor_username="admin", **{**NEW_USER, field: value})
    assert list(error.value.details) == [field]
    assert problem in " ".join(error.value.details[field]) and problem in error.value.message
    assert _stored_user(NEW_USER["username"] if field != "username" else value) is None


def test_the_longest_and_shortest_usernames_and_passwords_are_fine(demo):
    for username in ("abc", "a" * 64, "zhang.san_2-b"):
        create_user(actor_username="admin", **{**NEW_USER, "username": username, "password": "0123456789"})
        assert verify_password(username=username, password="0123456789") is not None
    create_user(actor_username="admin", **{**NEW_USER, "username": "long-pw", "password": "密" * 1024})
    assert verify_password(username="long-pw", password="密" * 1024) is not None


def test_every_bad_field_is_reported_at_once_and_the_password_never(demo):
    bad_password = "tiny-pw"
    with pytest.raises(InvalidInputError) as error:
        create_user(actor_username="admin", username="X", display_name="", agency_code="nowhere", roles=["boss"],
                    password=bad_password)
    assert set(error.value.details) == {"username", "display_name", "agency_code", "roles"}
    # The password is checked last (its hash is slow); it is reported once the rest is right.
    with pytest.raises(InvalidInputError) as error:
        create_user(actor_username="admin", **{**NEW_USER, "password": bad_password})
    assert set(error.value.details) == {"password"}
    assert bad_password not in error.value.message and bad_password not in str(error.value.details)


def test_a_username_is_taken_once(demo):
    create_user(actor_username="admin", **NEW_USER)
    with pytest.raises(ConflictError, match="user 'sjm-police-2' already exists"):
        create_user(actor_username="admin", **{**NEW_USER, "display_name": "另一个人", "password": "x" * 12})
    with pytest.raises(ConflictError, match="'sjm-police' already exists"):
        create_user(actor_username="admin", **{**NEW_USER, "username": "sjm-police"})
    assert _stored_user("sjm-police-2")["display_name"] == NEW_USER["display_name"]
    assert verify_password(username="sjm-police-2", password=PASSWORD) is not None


def test_users_are_listed_by_username_a_page_at_a_time(demo):
    everyone = list_users(actor_username="admin", page_size=100)
    names = [user.username for user in everyone.items]
    assert names == sorted(names) and everyone.total == len(names) == 31
    assert {"admin", "sjm-police", "designer"} <= set(names)

    second = list_users(actor_username="admin", page=2, page_size=10)
    assert [user.username for user in second.items] == names[10:20]
    assert (second.total, second.page, second.page_size) == (31, 2, 10)
    assert list_users(actor_username="admin", page=5, page_size=10).items == []

    create_user(actor_username="admin", **NEW_USER)
    update_user(actor_username="admin", username="sjm-police", active=False)
    station = list_users(actor_username="admin", agency_code="sjm-police")
    assert [(u.username, u.active) for u in station.items] == [("sjm-police", False), ("sjm-police-2", True)]
    assert station.total == 2
    # One agency's users, not those of the agencies below it.
    assert [u.username for u in list_users(actor_username="admin", agency_code="shenjiamen").items] == [
        "sjm-supervisor"]


def test_bad_list_queries_say_what_to_fix(demo):
    with pytest.raises(InvalidInputError, match="agency: no agency has this code") as error:
        list_users(actor_username="admin", agency_code="nowhere")
    assert list(error.value.details) == ["agency"]
    with pytest.raises(InvalidInputError) as error:
        list_users(actor_username="admin", page=0, page_size=101)
    assert set(error.value.details) == {"page", "page_size"}


def test_an_administrator_changes_name_agency_and_roles(demo):
    user = update_user(actor_username="admin", username="sjm-police", display_name="  沈家门所 值班  ",
                       agency_code="dg-police", roles=["staff", "supervisor"])
    assert (user.display_name, user.agency_code, user.roles) == ("沈家门所 值班", "dg-police", ("staff", "supervisor"))
    unchanged = update_user(actor_username="admin", username="sjm-police")
    assert unchanged == user
    # What the engine's commands see changes at once.
    assert get_user("sjm-police").agency_code == "dg-police"
    # Fields not given stay as they were, the password too.
    update_user(actor_username="admin", username="sjm-police", roles=["staff"])
    assert get_user_record(actor_username="admin", username="sjm-police").agency_code == "dg-police"
    assert verify_password(username="sjm-police", password="gongzhi-demo") is not None


def test_a_new_password_replaces_the_old_one(demo):
    old_hash = _stored_user("sjm-police")["password_hash"]
    update_user(actor_username="admin", username="sjm-police", password=PASSWORD)
    assert verify_password(username="sjm-police", password=PASSWORD) is not None
    assert verify_password(username="sjm-police", password="gongzhi-demo") is None
    assert _stored_user("sjm-police")["password_hash"] not in (old_hash, PASSWORD)
    # Administrators change their own password like anyone else's.
    update_user(actor_username="admin", username="admin", password=PASSWORD)
    assert verify_password(username="admin", password=PASSWORD) is not None


def test_an_update_with_a_bad_field_changes_nothing(demo):
    for bad in ({"display_name": " "}, {"agency_code": "nowhere"}, {"roles": []}, {"roles": ["boss"]},
                {"password": "too-short"}):
        with pytest.raises(InvalidInputError) as error:
            update_user(actor_username="admin", username="sjm-police", **{"display_name": "新名字", "active": False,
                                                                          **bad})
        assert list(error.value.details) == list(bad)
        stored = _stored_user("sjm-police")
        assert (stored["display_name"], stored["active"]) == ("沈家门派出所民警", True), bad
    with pytest.raises(NotFoundError, match="user 'nobody' does not exist"):
        update_user(actor_username="admin", username="nobody", display_name="x")
    with pytest.raises(NotFoundError, match="user 'nobody' does not exist"):
        get_user_record(actor_username="admin", username="nobody")


def test_administrators_cannot_lock_themselves_out(demo):
    with pytest.raises(InvalidInputError, match="you may not remove your own admin role") as error:
        update_user(actor_username="admin", username="admin", roles=["staff", "supervisor"])
    assert list(error.value.details) == ["roles"]
    with pytest.raises(InvalidInputError, match="you may not disable yourself") as error:
        update_user(actor_username="admin", username="admin", active=False)
    assert list(error.value.details) == ["active"]
    with pytest.raises(InvalidInputError) as error:
        update_user(actor_username="admin", username="admin", roles=["designer"], active=False, display_name="x")
    assert set(error.value.details) == {"roles", "active"}
    stored = _stored_user("admin")
    assert (stored["roles"], stored["active"], stored["display_name"]) == ("admin", True, "系统管理员")

    # Adding roles to oneself, or keeping admin among them, is fine; so is another administrator stepping in.
    assert update_user(actor_username="admin", username="admin", roles=["admin", "designer"]).roles == (
        "designer", "admin")
    _second_admin()
    assert update_user(actor_username="admin-2", username="admin", roles=["staff"]).roles == ("staff",)
    assert update_user(actor_username="admin-2", username="admin", active=False).active is False
    with pytest.raises(PermissionDeniedError):
        list_users(actor_username="admin")


@pytest.mark.parametrize("change", [{"roles": ["staff"]}, {"active": False}])
def test_two_administrators_demoting_each_other_at_once_leave_one(app, demo, change):
    _second_admin()
    db.session.remove()
    results = race(app, [lambda: update_user(actor_username="admin", username="admin-2", **change),
                          lambda: update_user(actor_username="admin-2", username="admin", **change)])
    winners = [result for result in results if not isinstance(result, Exception)]
    losers = [result for result in results if isinstance(result, Exception)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert isinstance(losers[0], PermissionDeniedError | ConflictError), losers
    admins = [name for name in ("admin", "admin-2") if (row := _stored_user(name))["active"] and "admin" in
              row["roles"]]
    assert len(admins) == 1


def test_disabling_a_user_ends_their_tokens_and_logins_and_enabling_brings_them_back(demo):
    token = create_token(username="sjm-police", name="110 接警推送", created_by="admin")
    assert authenticate_token(token.token) == "sjm-police"
    disabled = update_user(actor_username="admin", username="sjm-police", active=False)
    assert disabled.active is False
    assert authenticate_token(token.token) is None
    assert get_user("sjm-police") is None
    assert verify_password(username="sjm-police", password="gongzhi-demo") is None
    assert get_user_record(actor_username="admin", username="sjm-police").active is False

    # Tokens that were not revoked work again once the user is enabled again.
    update_user(actor_username="admin", username="sjm-police", active=True)
    assert authenticate_token(token.token) == "sjm-police"
    assert verify_password(username="sjm-police", password="gongzhi-demo") is not None


def test_administrators_list_and_revoke_tokens(demo):
    token = create_token(username="sjm-police", name="110 接警推送", created_by="admin")
    assert [(t.name, t.username, t.created_by, t.active) for t in list_tokens(actor_username="admin")] == [
        ("110 接警推送", "sjm-police", "admin", True)]
    revoke_token(token_id=token.id, actor_username="admin")
    assert authenticate_token(token.token) is None
    assert list_tokens(actor_username="admin")[0].active is False
    with pytest.raises(NotFoundError, match="API token 999 does not exist"):
        revoke_token(token_id=999, actor_username="admin")


def test_integration_users_without_a_password_show_it(demo):
    with db.engine.begin() as conn:
        conn.execute(User.__table__.update().where(User.username == "sjm-squad").values(password_hash=None))
    assert get_user_record(actor_username="admin", username="sjm-squad").has_password is False
    assert get_user_record(actor_username="admin", username="sjm-police").has_password is True

"""Notifications: tasks reaching an agency, returns, approaching deadlines and closures, delivered by email
through a real local SMTP server and by SMS through a local HTTP gateway."""

import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
import time_machine
from aiosmtpd.controller import Controller
from sqlalchemy import select

from engine import InvalidInputError, reassign_task
from engine.channels import add_channel
from engine.db import db
from engine.models import Agency, Notice, OutboxMessage
from engine.notifications import warn_due_soon
from integrations.delivery import deliver
from tests.scenarios.test_diversion import NOISE, SATISFIED, SETTLED, WALL, Diversion
from tests.web.api_client import as_user

PHONE = "13800138000"


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch):
    """A real SMTP server on localhost; GONGZHI_SMTP_URL points at it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("GONGZHI_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("GONGZHI_MAIL_FROM", "noreply@gongzhi.example")
    yield inbox
    controller.stop()


@pytest.fixture
def gateway(receiver, monkeypatch):
    """The SMS gateway: a local HTTP receiver; GONGZHI_SMS_GATEWAY_URL points at it."""
    monkeypatch.setenv("GONGZHI_SMS_GATEWAY_URL", receiver.url)
    monkeypatch.setenv("GONGZHI_SMS_GATEWAY_TOKEN", "gateway-token")
    return receiver


def deliver_all() -> list[str]:
    db.session.expire_all()
    return [deliver(message_id) for message_id in db.session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.status == "pending").order_by(OutboxMessage.id))]


def notices() -> list[tuple[str, str]]:
    return [(kind, message) for kind, message in db.session.execute(
        select(Notice.kind, Notice.message).order_by(Notice.id))]


def test_an_agency_that_listens_hears_of_each_task_that_reaches_it_by_email_and_sms(demo, smtp, gateway):
    add_channel(kind="email", address="dispatch@putuo.example", agency_code="pt-dispatch")
    add_channel(kind="sms", address=PHONE, agency_code="pt-dispatch")
    case = Diversion(WALL)
    assert notices() == []  # the city centre has no channel: its new task stays in its inbox
    case.work("Task_CityDispatch", "zs-dispatch", "city-dispatcher", {"city_dispatch_note": "转区级"})
    [(kind, text)] = notices()
    assert kind == "assignment" and f"案件 #{case.id}" in text and "区级分流" in text
    assert deliver_all() == ["sent", "sent"]

    [(recipients, email)] = smtp.messages
    assert recipients == ["dispatch@putuo.example"]
    assert email["Subject"] == "【共治】新任务" and email["From"] == "noreply@gongzhi.example"
    assert text in email.get_content()
    [call] = gateway.calls
    assert call["json"]["to"] == PHONE and call["json"]["text"] == text
    assert call["headers"]["Authorization"] == "Bearer gateway-token"
    assert deliver_all() == []  # delivered once


def test_a_returned_matter_tells_the_agency_it_goes_to_why(demo, gateway):
    add_channel(kind="sms", address=PHONE, agency_code="pt-dispatch")
    case = Diversion(NOISE).dispatch_down()
    before = len(notices())
    case.give_back("Task_OnSiteHandling", "sjm-squad", "sjm-squad", "疑似不在本街道辖区")
    [(kind, text)] = notices()[before:]
    assert kind == "returned" and "疑似不在本街道辖区" in text
    deliver_all()
    assert "退回理由：疑似不在本街道辖区" in gateway.calls[-1]["json"]["text"]


def test_the_caller_who_agreed_is_texted_when_the_matter_is_closed(demo, gateway):
    consenting = Diversion({**WALL, "caller_phone": PHONE, "notify_caller": True}).dispatch_down()
    consenting.work("Task_OnSiteHandling", "sjm-squad", "sjm-squad", SETTLED).feedback_and_visit(SATISFIED)
    silent = Diversion({**WALL, "caller_phone": "13900139000"}).dispatch_down()
    silent.work("Task_OnSiteHandling", "sjm-squad", "sjm-squad", SETTLED).feedback_and_visit(SATISFIED)
    assert deliver_all() == ["sent", "sent"]  # the survey link at the return visit, then the closure
    survey, closure = gateway.calls
    assert survey["json"]["to"] == PHONE and "/survey/" in survey["json"]["text"]
    token = survey["json"]["text"].split("/survey/")[1].split()[0]
    stored = [str(payload) for payload in db.session.scalars(select(OutboxMessage.payload))]
    assert not any(token in payload for payload in stored)  # the link left the database with the text
    closed = f"【共治】您反映的事项（编号 {consenting.id}）已办结。感谢您的理解与支持！"
    assert closure["json"] == {"to": PHONE, "text": closed, "id": f"closed:{consenting.id}"}


def test_a_deadline_two_hours_away_is_announced_once_to_whoever_holds_the_task(demo):
    start = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        task = Diversion(WALL).task  # the city centre has 30 minutes
        assert warn_due_soon(now=start - timedelta(hours=3)) == 0
        assert warn_due_soon(now=datetime.now(UTC)) == 1
        assert warn_due_soon(now=datetime.now(UTC)) == 0
        clock.shift(timedelta(minutes=31))
        assert warn_due_soon(now=datetime.now(UTC)) == 0  # late now: the SLA monitor's business
    [(kind, text)] = notices()
    assert kind == "due_soon" and "2026-06-01 09:30" in text and task.name in text


def test_an_email_without_a_configured_server_waits_with_a_clear_error(demo, monkeypatch):
    monkeypatch.delenv("GONGZHI_SMTP_URL", raising=False)
    add_channel(kind="email", address="dispatch@putuo.example", agency_code="pt-dispatch")
    Diversion(WALL).work("Task_CityDispatch", "zs-dispatch", "city-dispatcher", {"city_dispatch_note": "转区级"})
    assert deliver_all() == ["pending"]
    message = db.session.scalars(select(OutboxMessage)).one()
    assert "GONGZHI_SMTP_URL is not set" in message.last_error


def test_a_gateway_that_fails_is_retried_with_the_same_message_id(demo, gateway):
    gateway.answers = [500]
    add_channel(kind="sms", address=PHONE, agency_code="pt-dispatch")
    Diversion(WALL).work("Task_CityDispatch", "zs-dispatch", "city-dispatcher", {"city_dispatch_note": "转区级"})
    assert deliver_all() == ["pending"]
    message = db.session.scalars(select(OutboxMessage)).one()
    with time_machine.travel(message.next_attempt_at + timedelta(seconds=1), tick=False):
        assert deliver_all() == ["sent"]
    assert [call["status"] for call in gateway.calls] == [500, 200]
    assert len({call["json"]["id"] for call in gateway.calls}) == 1


@pytest.mark.parametrize(("kind", "address", "secret", "field"), [
    ("email", "not-an-address", "", "address"),
    ("sms", "0580-2000000", "", "address"),
    ("sms", "1380013800", "", "address"),
    ("webhook", "ftp://partner.example/hook", "x" * 16, "address"),
    ("webhook", "https://partner.example/hook", "short", "secret"),
    ("pigeon", "roof", "", "kind"),
])
def test_a_channel_with_a_bad_address_says_what_to_fix(demo, kind, address, secret, field):
    with pytest.raises(InvalidInputError) as raised:
        add_channel(kind=kind, address=address, secret=secret, agency_code="pt-dispatch")
    assert field in raised.value.details


def test_the_cli_adds_an_sms_channel_and_refuses_two_kinds_at_once(demo, app):
    from web.cli import main
    runner = app.test_cli_runner()
    added = runner.invoke(main, ["channel", "add", "--agency", "pt-dispatch", "--sms", PHONE])
    assert added.exit_code == 0 and "已添加" in added.output
    both = runner.invoke(main, ["channel", "add", "--agency", "pt-dispatch", "--sms", PHONE, "--email", "a@b.cn"])
    assert both.exit_code == 2 and "exactly one of" in both.output
    bad = runner.invoke(main, ["channel", "add", "--agency", "pt-dispatch", "--sms", "12345"])
    assert bad.exit_code == 1 and "not a mobile number" in bad.output


def test_a_reassigned_task_is_announced_to_its_new_agency(demo, gateway):
    add_channel(kind="sms", address=PHONE, agency_code="sjm-office")
    case = Diversion(NOISE).dispatch_down()
    task = case.expect("Task_OnSiteHandling", "sjm-squad")
    reassign_task(task_id=task.id, username="sjm-supervisor", agency_code="sjm-office", reason="改由街道办理")
    [(kind, text)] = notices()
    office = db.session.scalar(select(Agency.name).where(Agency.code == "sjm-office"))
    assert kind == "assignment" and f"已转至{office}" in text and f"案件 #{case.id}" in text
    assert deliver_all() == ["sent"] and gateway.calls[0]["json"]["text"] == text


def test_staff_choose_their_own_channels_and_supervisors_their_agencys_over_the_api(app, demo):
    staff, supervisor = as_user(app, "sjm-squad"), as_user(app, "sjm-supervisor")
    mine = staff.post("/channels", json={"kind": "sms", "address": PHONE})
    assert mine.status_code == 201 and mine.get_json()["user_id"] is not None
    refused = staff.post("/channels", json={"kind": "sms", "address": PHONE, "for_agency": True})
    assert refused.status_code == 403 and "supervisor" in refused.get_json()["detail"]
    bad = staff.post("/channels", json={"kind": "sms", "address": "0580-2000000"})
    assert bad.status_code == 422 and "address" in bad.get_json()["errors"]
    street = supervisor.post("/channels", json={"kind": "email", "address": "office@sjm.example", "for_agency": True})
    assert street.status_code == 201 and street.get_json()["agency_id"] is not None
    assert [c["kind"] for c in staff.get("/channels").get_json()] == ["sms"]
    assert supervisor.delete(f"/channels/{mine.get_json()['id']}").status_code == 404  # not theirs
    assert staff.delete(f"/channels/{mine.get_json()['id']}").status_code == 204
    assert staff.get("/channels").get_json() == []

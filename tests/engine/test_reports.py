"""Periodic reports (定期通报): generated once per agency and period, notified to the agency's supervisors."""

from datetime import date

import pytest
from sqlalchemy import select

from engine import NotFoundError, PermissionDeniedError
from engine.db import db
from engine.models import Notice, Report
from engine.org import get_actor
from engine.reports import due_periods, generate_due_reports, get_report, list_reports
from tests.engine.history import add_case, add_incident, local

NOW = local("2025-07-02 09:00")  # a Wednesday


def test_the_due_periods_are_the_last_complete_week_and_month():
    assert [(due.kind, due.period.start, due.period.end) for due in due_periods(NOW)] == [
        ("weekly", date(2025, 6, 23), date(2025, 6, 30)), ("monthly", date(2025, 6, 1), date(2025, 7, 1))]


def test_reports_are_generated_once_and_notified_to_each_supervised_agency(demo):
    add_case(created="2025-06-02 10:00", completed="2025-06-02 14:00", closure="diverted")
    add_incident(received="2025-06-10 12:00", police=False)
    written = generate_due_reports(now=NOW)
    supervised = {"zhoushan", "putuo", "shenjiamen", "donggang"}  # the agencies with a supervisor
    reports = db.session.scalars(select(Report)).all()
    assert written == len(reports) == 2 * len(supervised)
    assert generate_due_reports(now=NOW) == 0  # idempotent
    notices = db.session.scalars(select(Notice).where(Notice.kind == "report")).all()
    assert len(notices) == written
    sjm_month = next(r for r in list_reports(actor=get_actor("sjm-supervisor")).items if r["kind"] == "monthly")
    report = get_report(sjm_month["id"], actor=get_actor("sjm-supervisor"))
    assert report["agency"] == "shenjiamen"
    assert report["figures"]["handling"]["closed"]["value"] == 1
    assert report["figures"]["incidents"]["total"]["value"] == 1
    notice = next(n for n in notices if n.dedupe_key == f"report:{report['id']}")
    assert notice.message.startswith("【定期通报】沈家门街道月报（2025-06-01 至 2025-06-30）：警情 1 起")


def test_supervisors_see_the_reports_of_their_area_only(demo):
    generate_due_reports(now=NOW)
    sjm = list_reports(actor=get_actor("sjm-supervisor"))
    assert {item["agency"] for item in sjm.items} == {"shenjiamen"}
    assert {item["agency"] for item in list_reports(actor=get_actor("pt-supervisor"), page_size=100).items} == {
        "putuo", "shenjiamen", "donggang"}
    dg_report = list_reports(actor=None, agency_code="donggang").items[0]["id"]
    with pytest.raises(NotFoundError):
        get_report(dg_report, actor=get_actor("sjm-supervisor"))
    with pytest.raises(PermissionDeniedError):
        list_reports(actor=get_actor("sjm-squad"))

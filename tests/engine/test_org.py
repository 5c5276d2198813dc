"""Lanes resolve to the nearest agency of their kind up the case location's chain."""

import pytest
from sqlalchemy import select

from engine import ProcessError, deploy, start_case
from engine.db import db
from engine.models import Agency
from engine.org import agency_path, candidate_agency
from tests.engine import samples


def resolve(kind: str, location: str) -> str | None:
    path = db.session.scalar(select(Agency.path).where(Agency.code == location))
    agency = candidate_agency(kind, path)
    return agency.code if agency else None


def test_each_kind_resolves_within_the_location_chain(demo):
    assert resolve("street_squad", "sjm-duntou-g1") == "sjm-squad"
    assert resolve("street_squad", "dg-puxi-g1") == "dg-squad"
    assert resolve("community", "sjm-siwan-g2") == "sjm-siwan"
    assert resolve("community", "sjm-siwan") == "sjm-siwan"
    assert resolve("grid", "sjm-siwan-g2") == "sjm-siwan-g2"
    assert resolve("justice_office", "zjj-zhangzhou-g1") == "pt-justice"
    assert resolve("district_dispatch", "dg-haihua-g1") == "pt-dispatch"
    assert resolve("city_dispatch", "dg-haihua-g1") == "zs-dispatch"


def test_the_nearest_agency_wins_over_one_further_up(demo):
    street = db.session.scalar(select(Agency).where(Agency.code == "donggang"))
    db.session.add(Agency(code="dg-justice", name="东港司法所", level="street", kind="justice_office",
                          parent=street, path=agency_path(street.path, "dg-justice")))
    db.session.commit()
    assert resolve("justice_office", "dg-puxi-g1") == "dg-justice"
    assert resolve("justice_office", "sjm-duntou-g1") == "pt-justice"


def _add(code: str, name: str, level: str, kind: str, parent_code: str, **extra) -> None:
    parent = db.session.scalar(select(Agency).where(Agency.code == parent_code))
    db.session.add(Agency(code=code, name=name, level=level, kind=kind, parent=parent,
                          path=agency_path(parent.path, code), **extra))
    db.session.flush()


def test_a_cross_area_agency_serves_locations_outside_its_branch(demo):
    _add("dinghai", "定海区", "district", "district", "zhoushan")
    _add("dh-street", "解放街道", "street", "street", "dinghai")
    _add("dh-community", "东管庙社区", "community", "community", "dh-street")
    _add("dh-grid", "东管庙第一网格", "grid", "grid", "dh-community")
    db.session.commit()
    # Putuo's maritime office is configured cross-area, so it serves Dinghai too; its justice office is not.
    assert resolve("maritime_office", "dh-grid") == "pt-maritime"
    assert resolve("justice_office", "dh-grid") is None
    assert resolve("city_dispatch", "dh-grid") == "zs-dispatch"


def test_a_kind_nobody_covers_resolves_to_nothing(demo):
    assert resolve("city_management", "sjm-duntou-g1") is None


def test_a_task_can_take_its_agency_kind_from_its_data(demo):
    routed = samples.sample_bpmn(properties='<spiffworkflow:property name="agency_kind_from" value="target_kind" />')
    deploy(sources={"routed.bpmn": routed})
    case = start_case(process_id="sample_referral", data={"location": "dg-puxi-g1", "target_kind": "justice_office"})
    assert case.open_tasks[0].agency_code == "pt-justice"
    with pytest.raises(ProcessError, match="'nowhere' is not an agency kind code"):
        start_case(process_id="sample_referral", data={"location": "dg-puxi-g1", "target_kind": "nowhere"})

"""Agencies and the calendar are looked up once per reference stamp; any change to them is seen at once."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import event, select, text

from engine import InvalidInputError, deploy, start_case
from engine.calendar_import import import_year
from engine.db import db
from engine.models import Agency, CalendarDay, CalendarYear, ReferenceStamp
from engine.org import agency_path
from tests.engine import samples

ROUTED = samples.sample_bpmn(properties='<spiffworkflow:property name="agency_kind_from" value="target_kind" />')
JUSTICE_CASE = {"location": "dg-puxi-g1", "target_kind": "justice_office"}


def stamp() -> int | None:
    return db.session.scalar(select(ReferenceStamp.stamp))


def agency_reads(run) -> list[str]:
    """Run a command; return the statements it sent that read the agency table."""
    statements = []

    def note(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return [statement for statement in statements if "FROM agency" in statement]


def change(sql: str, **params) -> None:
    """Change reference data with plain SQL on a connection of its own, as another process would."""
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)
    db.session.rollback()  # the test's own session reads afresh


@pytest.mark.parametrize("sql", [
    "INSERT INTO agency (code, name, level, kind, path, cross_area) "
    "VALUES ('x-new', '新机构', 'street', 'street', '/x-new/', false)",
    "UPDATE agency SET name = '新名称' WHERE code = 'pt-justice'",
    "DELETE FROM agency WHERE code = 'sjm-duntou-g2'",
    "INSERT INTO calendar_day (day, is_workday, name, source) VALUES ('2031-01-01', false, '元旦', 'test')",
    "INSERT INTO calendar_year (year, source, loaded_at) VALUES (2031, 'test', '2031-01-01 00:00:00')",
])
def test_every_change_to_agencies_or_the_calendar_renews_the_stamp(demo, sql):
    before = stamp()
    assert before is not None
    change(sql)
    assert stamp() not in (None, before)


def test_a_command_at_an_unchanged_stamp_asks_nothing_of_the_agency_table(demo):
    deploy(sources={"routed.bpmn": ROUTED})
    first = agency_reads(lambda: start_case(process_id="sample_referral", data=JUSTICE_CASE))
    assert first  # the location and the candidate agency
    again = agency_reads(lambda: start_case(process_id="sample_referral", data=JUSTICE_CASE))
    assert again == []


def test_a_nearer_agency_added_by_another_process_takes_the_next_task(demo):
    deploy(sources={"routed.bpmn": ROUTED})
    assert start_case(process_id="sample_referral", data=JUSTICE_CASE).open_tasks[0].agency_code == "pt-justice"
    street = db.session.scalar(select(Agency).where(Agency.code == "donggang"))
    change("INSERT INTO agency (code, name, level, kind, parent_id, path, cross_area) "
           "VALUES ('dg-justice', '东港司法所', 'street', 'justice_office', :parent, :path, false)",
           parent=street.id, path=agency_path(street.path, "dg-justice"))
    assert start_case(process_id="sample_referral", data=JUSTICE_CASE).open_tasks[0].agency_code == "dg-justice"
    change("UPDATE agency SET kind = 'street' WHERE code = 'dg-justice'")
    assert start_case(process_id="sample_referral", data=JUSTICE_CASE).open_tasks[0].agency_code == "pt-justice"


def test_a_location_closed_meanwhile_is_refused(demo):
    deploy(sources={"routed.bpmn": ROUTED})
    start_case(process_id="sample_referral", data={**JUSTICE_CASE, "location": "sjm-duntou-g2"})
    change("UPDATE agency SET level = 'street' WHERE code = 'sjm-duntou-g2'")
    with pytest.raises(InvalidInputError, match="'sjm-duntou-g2' is not the code of a grid or community"):
        start_case(process_id="sample_referral", data={**JUSTICE_CASE, "location": "sjm-duntou-g2"})


def test_a_calendar_loaded_meanwhile_sets_the_next_deadline(demo):
    shanghai = ZoneInfo("Asia/Shanghai")
    working = samples.sample_bpmn(properties='<spiffworkflow:property name="deadline" value="2 working days" />')
    deploy(sources={"working.bpmn": working})
    with time_machine.travel(datetime(2030, 12, 31, 10, 0, tzinfo=shanghai), tick=False):
        [before] = start_case(process_id="sample_referral", data={"location": "sjm-duntou-g1"}).open_tasks
        import_year(schedule={"year": 2031, "holidays": {"2031-01-01": "元旦"}, "workdays": {}})
        [after] = start_case(process_id="sample_referral", data={"location": "sjm-duntou-g1"}).open_tasks
    assert before.due_at == datetime(2031, 1, 2, 10, 0, tzinfo=shanghai)  # 2031 not loaded: weekends only
    assert after.due_at == datetime(2031, 1, 3, 10, 0, tzinfo=shanghai)  # 01-01 is a holiday now
    assert db.session.get(CalendarYear, 2031) is not None
    assert db.session.get(CalendarDay, date(2031, 1, 1)).is_workday is False

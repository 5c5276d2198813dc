"""The scheduler's start: a year without an official schedule is named in the log until it is imported."""

from datetime import UTC, datetime

import time_machine

from engine.calendar import seed_calendar
from engine.calendar_import import import_year
from integrations.scheduler import warn_uncovered_years


def test_the_scheduler_warns_of_a_year_without_a_schedule_when_it_starts(app, caplog):
    seed_calendar()  # the years the chinese-calendar package knows: 2026 is the last
    with time_machine.travel(datetime(2026, 12, 1, 2, 0, tzinfo=UTC), tick=False):
        assert warn_uncovered_years() == [2027]
    assert "no working-day calendar for 2027" in caplog.text and "gongzhi calendar import" in caplog.text
    import_year(schedule={"year": 2027, "holidays": {"2027-01-01": "元旦"}, "workdays": {}})
    with time_machine.travel(datetime(2026, 12, 1, 2, 0, tzinfo=UTC), tick=False):
        assert warn_uncovered_years() == []

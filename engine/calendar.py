"""The working-day calendar: holidays and swapped workdays (调休) kept in the database, and office hours.

Only the days that break the Monday-to-Friday rule are stored (`calendar_day`); a year counts as known
when it has a `calendar_year` row. A year without one falls back to "weekends off" and logs a warning.
"""

import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, extract, func, insert, select

from engine.db import utcnow
from engine.models import CalendarDay, CalendarYear
from engine.transaction import connection, transaction

log = logging.getLogger(__name__)

DAY = CalendarDay.__table__
YEAR = CalendarYear.__table__

_YEAR_KNOWN = select(YEAR.c.year).where(YEAR.c.year == bindparam("year"))
_DAYS_BETWEEN = select(DAY.c.day, DAY.c.is_workday).where(DAY.c.day.between(bindparam("first"), bindparam("last")))
_KNOWN_YEARS = select(YEAR.c.year)
_YEARS = select(YEAR.c.year, YEAR.c.source, YEAR.c.loaded_at).order_by(YEAR.c.year)
_DAY_YEAR = extract("year", DAY.c.day)
_DAY_COUNTS = select(_DAY_YEAR, DAY.c.is_workday, func.count()).group_by(_DAY_YEAR, DAY.c.is_workday)
INSERT_DAYS = insert(DAY)
INSERT_YEARS = insert(YEAR)

_OFFICE_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
# No official schedule has a quarter of a year without a working day: more means a broken import.
_LONGEST_BREAK = 90

# chinese_calendar names its holidays in English; the platform speaks Chinese.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def platform_zone() -> ZoneInfo:
    """The platform's time zone (GONGZHI_TIMEZONE, default Asia/Shanghai)."""
    return ZoneInfo(os.environ.get("GONGZHI_TIMEZONE", "Asia/Shanghai"))


def local_minute(moment: datetime) -> str:
    """A UTC moment as the platform's local time to the minute, as notices and pages show it."""
    return moment.astimezone(platform_zone()).strftime("%Y-%m-%d %H:%M")


def office_hours() -> tuple[time, time]:
    """Opening and closing time (GONGZHI_OFFICE_HOURS, default "08:30-17:30"), local to the platform."""
    text = os.environ.get("GONGZHI_OFFICE_HOURS", "08:30-17:30")
    match = _OFFICE_HOURS.match(text)
    try:
        opens, closes = time(int(match[1]), int(match[2])), time(int(match[3]), int(match[4]))
    except (TypeError, ValueError):  # no match, or no such clock time
        opens = closes = None
    if opens is None or not opens < closes:
        raise ValueError(f"GONGZHI_OFFICE_HOURS={text!r} is not understood: write opening and closing time "
                         "as HH:MM-HH:MM, such as '08:30-17:30'")
    return opens, closes


class WorkingCalendar:
    """Which days are worked, read from the database a year at a time as a computation reaches it.

    It keeps what it read, and warns once per year it finds no schedule for: make one per command, or give
    it the years that commands share while the calendar is unchanged (engine/reference.py).
    """

    def __init__(self, years: dict | None = None) -> None:
        # What it read by year: its own, or one engine/reference.py shares between commands.
        self._years: dict[int, dict[date, bool] | None] = {} if years is None else years

    def is_workday(self, day: date) -> bool:
        exceptions = self._year(day.year)
        weekday = day.weekday() < 5
        return weekday if exceptions is None else exceptions.get(day, weekday)

    def next_workday(self, day: date) -> date:
        """The first working day after `day`."""
        for _ in range(_LONGEST_BREAK):
            day += timedelta(days=1)
            if self.is_workday(day):
                return day
        raise ValueError(f"no working day in the {_LONGEST_BREAK} days before {day}: check the calendar")

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same local clock time on the `days`-th working day after `start`.

        A start outside office hours or on a day off counts from the next opening time.
        """
        zone = platform_zone()
        opens, closes = office_hours()
        local = start.astimezone(zone)
        day, clock = local.date(), local.time()
        if not self.is_workday(day) or clock >= closes:
            day, clock = self.next_workday(day), opens
        elif clock < opens:
            clock = opens
        for _ in range(days):
            day = self.next_workday(day)
        return datetime.combine(day, clock, zone).astimezone(UTC)

    def _year(self, year: int) -> dict[date, bool] | None:
        if year not in self._years:
            conn = connection()
            if conn.execute(_YEAR_KNOWN, {"year": year}).first() is None:
                log.warning("no working-day calendar for %s: deadlines in %s count weekends off only; "
                            "load its official schedule with `gongzhi calendar import FILE`", year, year)
                self._years[year] = None
            else:
                rows = conn.execute(_DAYS_BETWEEN, {"first": date(year, 1, 1), "last": date(year, 12, 31)})
                self._years[year] = dict(rows.all())
        return self._years[year]


def _package_schedules() -> dict[int, list[dict]]:
    from chinese_calendar import constants

    by_year: dict[int, list[dict]] = {}
    for days, is_workday in ((constants.holidays, False), (constants.workdays, True)):
        for day, holiday in days.items():
            label = getattr(holiday, "value", holiday)  # the English name
            name = HOLIDAY_NAMES.get(label, label)
            by_year.setdefault(day.year, []).append({
                "day": day, "is_workday": is_workday, "name": f"{name}调休" if is_workday else name,
                "source": "chinese_calendar"})
    return by_year


def seed_calendar() -> list[int]:
    """Load every year the chinese_calendar package knows and the database does not; return those years."""
    schedules = _package_schedules()
    with transaction() as unit:
        known = set(unit.conn.execute(_KNOWN_YEARS).scalars())
        new = sorted(set(schedules) - known)
        if new:
            unit.conn.execute(INSERT_DAYS, [row for year in new for row in schedules[year]])
            unit.conn.execute(INSERT_YEARS, [{"year": year, "source": "chinese_calendar", "loaded_at": utcnow()}
                                              for year in new])
    return new


@dataclass(frozen=True)
class YearStatus:
    year: int
    covered: bool
    source: str | None
    loaded_at: datetime | None
    holidays: int
    workdays: int


def calendar_status(*, today: date) -> list[YearStatus]:
    """Every year with a schedule, and this year and next when they have none (deadlines reach into them)."""
    conn = connection()
    counts = {(int(year), is_workday): count for year, is_workday, count in conn.execute(_DAY_COUNTS)}
    years = {row.year: YearStatus(row.year, True, row.source, row.loaded_at, counts.get((row.year, False), 0),
                                  counts.get((row.year, True), 0)) for row in conn.execute(_YEARS)}
    for year in (today.year, today.year + 1):
        years.setdefault(year, YearStatus(year, False, None, None, 0, 0))
    return [years[year] for year in sorted(years)]

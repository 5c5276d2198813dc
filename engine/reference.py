"""Reference data kept in memory between commands while it is unchanged: agencies and the calendar.

Triggers give the one row of `reference_stamp` a new random stamp whenever a row of `agency`,
`calendar_day` or `calendar_year` changes (migration 0010). A command reads the stamp in its first
statement (the STAMP column) and notes it (`note_stamp`); what any command looked up at that stamp, from
the same database, still holds, so candidate agencies, locations and calendar years are asked of the
database once per stamp instead of once per command. A command that notes no stamp looks everything up
afresh.

What is kept is never older than the stamp it is kept under: the stamp is read first, the lookups
after it. A command that itself changes agencies or the calendar must not use `command_lookups()`: what
it would keep could be rolled back (the calendar import recomputes deadlines with a WorkingCalendar of
its own).

A migration that rebuilds one of these tables on SQLite (`batch_alter_table`) drops its triggers and must
create them again.
"""

from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, select

from engine.models import ReferenceStamp
from engine.transaction import current_unit, running_unit

STAMP = select(ReferenceStamp.__table__.c.stamp).scalar_subquery().label("reference_stamp")


@dataclass
class Lookups:
    """What commands looked up at one stamp: by (kind, place), by location code, by year."""

    candidates: dict = field(default_factory=dict)
    locations: dict = field(default_factory=dict)
    years: dict = field(default_factory=dict)


class ReferenceCache:
    """The lookups of the latest stamp seen, per database (engine)."""

    def __init__(self) -> None:
        self._by_database: WeakKeyDictionary[Engine, tuple[int, Lookups]] = WeakKeyDictionary()

    def lookups(self, database: Engine, stamp: int | None) -> Lookups:
        if stamp is None:
            return Lookups()
        kept = self._by_database.get(database)
        if kept is None or kept[0] != stamp:
            kept = (stamp, Lookups())
            self._by_database[database] = kept
        return kept[1]

    def clear(self) -> None:
        self._by_database.clear()


REFERENCE = ReferenceCache()


def note_stamp(stamp: int | None) -> None:
    """Tell the running command (if any) the reference stamp its first statement read."""
    unit = running_unit()
    if unit is not None:
        unit.reference_stamp = stamp


def command_lookups() -> Lookups:
    """The lookups the running command may reuse: shared at its stamp, else its own."""
    unit = current_unit()
    return REFERENCE.lookups(unit.conn.engine, unit.reference_stamp)

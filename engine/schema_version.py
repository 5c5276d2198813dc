"""Whether the database's schema is the one this code was written for (its Alembic migration head)."""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from engine.transaction import connection

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class SchemaVersion:
    current: tuple[str, ...]  # the revisions the database is at; empty when it was never migrated
    head: tuple[str, ...]  # the revisions the code needs

    @property
    def problem(self) -> str | None:
        """What is wrong with the schema, in words an operator can act on; None when it is at the head."""
        if set(self.current) == set(self.head):
            return None
        if not self.current:
            return "the database has no schema yet: run `gongzhi db upgrade`"
        unknown = set(self.current) - set(_all_revisions())
        if unknown:
            return (f"the database is at migration {', '.join(sorted(unknown))}, which this code does not know "
                    f"(it goes up to {', '.join(self.head)}): deploy the newer code")
        return (f"the database is at migration {', '.join(self.current)}, the code needs {', '.join(self.head)}: "
                "run `gongzhi db upgrade`")


@cache
def _script() -> ScriptDirectory:
    # The migration files do not change while a process runs.
    return ScriptDirectory(str(MIGRATIONS_DIR))


@cache
def _all_revisions() -> tuple[str, ...]:
    return tuple(revision.revision for revision in _script().walk_revisions())


def schema_version() -> SchemaVersion:
    """Read the database's migration revisions (one small query) and the code's head."""
    current = MigrationContext.configure(connection()).get_current_heads()
    return SchemaVersion(current=tuple(sorted(current)), head=tuple(sorted(_script().get_heads())))

"""Merge the hooks each process module registers, refusing a name registered twice."""

from collections.abc import Callable


def merged(what: str, *tables: dict[str, Callable]) -> dict[str, Callable]:
    result: dict[str, Callable] = {}
    for table in tables:
        for name, hook in table.items():
            if name in result:
                raise ValueError(f"{what} {name!r} is registered twice")
            result[name] = hook
    return result

"""SQL building blocks of the indicators: time buckets, durations and medians on SQLite and PostgreSQL."""

from datetime import datetime

from sqlalchemy import Float, Select, and_, case, cast, func, select

from engine.indicators.scope import at
from engine.transaction import connection


def dialect() -> str:
    return connection().dialect.name


def on_postgres() -> bool:
    return dialect() == "postgresql"


def in_range(column, edges: list[datetime]):
    """The column falls within [edges[0], edges[-1])."""
    return and_(column >= at(edges[0]), column < at(edges[-1]))


def bucket_of(column, edges: list[datetime]):
    """The index of the bucket [edges[i], edges[i + 1]) the column falls in (the column is in range)."""
    if len(edges) == 2:
        return case((column.is_not(None), 0))
    return case(*[(column < at(edge), index) for index, edge in enumerate(edges[1:-1])], else_=len(edges) - 2)


def bucket_end(column, edges: list[datetime]):
    """The end of the bucket the column falls in."""
    if len(edges) == 2:
        return at(edges[1])
    return case(*[(column < at(edge), at(edge)) for edge in edges[1:-1]], else_=at(edges[-1]))


def seconds_between(later, earlier):
    """later - earlier, in seconds, as a float."""
    if dialect() == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def count_if(condition):
    return func.count(case((condition, 1)))


def sum_if(condition, value):
    return func.sum(case((condition, value)))


def medians(durations: Select, bucket, value, buckets: int) -> list[float | None]:
    """The median of `value` in each bucket of `durations` (a query whose rows fall in the buckets)."""
    sub = durations.add_columns(bucket.label("bucket"), value.label("value")).subquery()
    if dialect() == "postgresql":
        rows = connection().execute(
            select(sub.c.bucket, func.percentile_cont(0.5).within_group(sub.c.value))
            .where(sub.c.value.is_not(None)).group_by(sub.c.bucket)).all()
        found = {row[0]: float(row[1]) for row in rows}
        return [found.get(index) for index in range(buckets)]
    result = []
    for index in range(buckets):
        values = select(sub.c.value).where(sub.c.bucket == index, sub.c.value.is_not(None))
        n = connection().execute(select(func.count()).select_from(values.subquery())).scalar_one()
        if not n:
            result.append(None)
            continue
        middle = connection().execute(values.order_by(sub.c.value).limit(2 - n % 2).offset((n - 1) // 2)).scalars()
        middle = list(middle)
        result.append(sum(middle) / len(middle))
    return result

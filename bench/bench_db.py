"""The benchmarks' own PostgreSQL database: created if missing, emptied before each run."""

from sqlalchemy import create_engine, inspect, make_url, text

BENCH_DATABASE = "gongzhi_bench"


def postgres_bench_url(url: str, database: str = BENCH_DATABASE) -> str:
    """Create `database` on the server of `url` if missing, drop its tables, and return its URL."""
    server = make_url(url).set(drivername="postgresql+psycopg")  # psycopg 3, as web/config.py does
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": database}):
            connection.execute(text(f"CREATE DATABASE {database}"))
    admin.dispose()
    bench = server.set(database=database)
    bench_engine = create_engine(bench)
    with bench_engine.begin() as connection:
        if names := inspect(connection).get_table_names():
            connection.execute(text(f"DROP TABLE IF EXISTS {', '.join(names)} CASCADE"))
    bench_engine.dispose()
    return bench.render_as_string(hide_password=False)

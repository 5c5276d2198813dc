"""Write planned cases chunk by chunk: each chunk one transaction, each worker its own connection.

On PostgreSQL two workers write at once (one INSERT ... SELECT keeps one core busy); SQLite has one
writer. A worker's connection holds its own copy of the temporary tables and is closed at the end, so
they go with it.
"""

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from sqlalchemy import Connection, Engine, Table, delete, text

from engine.demo.bulk import CASE_PLAN, CHUNK_TABLES, STATIC_TABLES, TASK_PLAN, BulkSql

OnWritten = Callable[[int, dict[str, int]], None]


class _Worker:
    def __init__(self, engine: Engine, sql: BulkSql, static: dict[Table, list[dict]], now: int):
        self.engine, self.sql, self.static, self.now = engine, sql, static, now
        self.statements = sql.statements()
        self.local = threading.local()
        self.opened: list[Connection] = []
        self.lock = threading.Lock()

    def _connection(self) -> Connection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.engine.connect()
            with self.lock:
                self.opened.append(conn)
            if not self.sql.postgres:  # SQLite keeps temporary tables in a file unless told otherwise
                conn.exec_driver_sql("PRAGMA temp_store = MEMORY")
                conn.commit()
            with conn.begin():
                for table in STATIC_TABLES + CHUNK_TABLES:
                    table.create(conn)
                for table, rows in self.static.items():
                    self.sql.load(conn, table, rows)
            self.local.conn = conn
        return conn

    def write(self, plans: list[dict]) -> dict[str, int]:
        conn, sql = self._connection(), self.sql
        written: dict[str, int] = {}
        with conn.begin():
            sql.begin_chunk(conn)
            ids = sql.case_ids(conn, len(plans))
            sql.load(conn, CASE_PLAN, [{**plan, "id": case_id} for plan, case_id in zip(plans, ids, strict=True)])
            for table, statement in self.statements:
                if sql.postgres and table in ("case_record", "task"):
                    # Temporary tables get statistics only when asked, and the joins need them.
                    conn.execute(text(f"ANALYZE {CASE_PLAN.name if table == 'case_record' else TASK_PLAN.name}"))
                count = conn.execute(text(statement), {"now": self.now}).rowcount
                if table:
                    written[table] = count
            conn.execute(delete(TASK_PLAN))
            conn.execute(delete(CASE_PLAN))
        return written

    def close(self) -> None:
        for conn in self.opened:
            conn.invalidate()  # the session ends, and its temporary tables with it
            conn.close()


def write_chunks(*, engine: Engine, chunks: Iterable[list[dict]], static: dict[Table, list[dict]], now: int,
                 workers: int, on_written: OnWritten) -> None:
    """Write each chunk of plans (gen_case rows without ids) with its tasks, events and incidents."""
    sql = BulkSql(engine.dialect.name)
    worker = _Worker(engine, sql, static, now)
    lock = threading.Lock()

    def run(plans: list[dict]) -> None:
        written = worker.write(plans)
        with lock:
            on_written(len(plans), written)

    try:
        if workers <= 1 or not sql.postgres:
            for plans in chunks:
                run(plans)
            return
        with ThreadPoolExecutor(workers, thread_name_prefix="gongzhi-generate") as pool:
            pending: set[Future] = set()
            for plans in chunks:  # planned lazily: at most two chunks wait per worker
                if len(pending) >= 2 * workers:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        future.result()
                pending.add(pool.submit(run, plans))
            for future in pending:
                future.result()
    finally:
        worker.close()

"""The bulk insert of generated cases: set-based SQL that copies snapshots into many cases at once.

Python plans each case (which snapshot, where, when, at what pace) into a temporary table; a handful of
INSERT ... SELECT statements then write the cases, their tasks, audit events, supervision steps and
incidents for a whole chunk. All times are whole epoch seconds until the last step, so the arithmetic is
the same on PostgreSQL and SQLite; only turning seconds into timestamps and text, the task ids and the
JSON cast differ between them.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from engine.demo.templates import AGENCY_TOKEN, LOCATION_TOKEN

_TEMP = MetaData()  # not the models' metadata: these tables live for one connection only


def _temp(name: str, *columns) -> Table:
    return Table(name, _TEMP, *columns, prefixes=["TEMPORARY"])


SNAPSHOT = _temp(
    "gen_snapshot", Column("id", Integer, primary_key=True), Column("process_version_id", Integer),
    Column("process_id", String(100)), Column("title", String(300)), Column("state", Text),
    Column("timer_iso", String(64)), Column("timer_offset", BigInteger), Column("category", String(64)),
    Column("closure", String(32)), Column("resolved_level", String(16)), Column("court_outcome", String(16)),
    Column("reopened_count", Integer))
SNAPSHOT_TASK = _temp(
    "gen_snapshot_task", Column("snapshot_id", Integer, primary_key=True), Column("ordinal", Integer, primary_key=True),
    Column("spiff_task_id", String(36)), Column("bpmn_id", String(100)), Column("name", String(200)),
    Column("lane", String(100)), Column("agency_kind", String(32)), Column("form", String(100)),
    Column("stage", String(32)), Column("returnable", Boolean), Column("deadline", String(100)),
    Column("due_offset", BigInteger), Column("is_open", Boolean), Column("status", String(16)),
    Column("created_b", BigInteger), Column("claimed_b", BigInteger), Column("completed_b", BigInteger),
    Column("satisfied", Boolean))
SNAPSHOT_EVENT = _temp(
    "gen_snapshot_event", Column("snapshot_id", Integer, primary_key=True), Column("seq", Integer, primary_key=True),
    Column("event", String(32)), Column("task_ordinal", Integer), Column("actor_ordinal", Integer),
    Column("b", BigInteger), Column("data", Text))
LOCATION = _temp("gen_location", Column("id", Integer, primary_key=True), Column("path", String(500)),
                 Column("code", String(64)))
CANDIDATE = _temp(
    "gen_candidate", Column("location_id", Integer, primary_key=True), Column("kind", String(32), primary_key=True),
    Column("agency_id", Integer), Column("agency_code", String(64)), Column("user_id", Integer))
# One chunk's cases. Times in epoch seconds: t_open when its open tasks appeared, t_claim when they were
# claimed (None: not claimed), ended when it completed or was cancelled.
CASE_PLAN = _temp(
    "gen_case", Column("id", Integer, primary_key=True), Column("snapshot_id", Integer), Column("status", String(16)),
    Column("location_id", Integer), Column("created", BigInteger), Column("scale", Float), Column("t_open", BigInteger),
    Column("t_claim", BigInteger), Column("ended", BigInteger), Column("updated", BigInteger),
    Column("diverted", BigInteger), Column("timer_at", BigInteger), Column("police_incident", Boolean))
TASK_PLAN = _temp(
    "gen_task", Column("case_id", Integer, primary_key=True), Column("ordinal", Integer, primary_key=True),
    Column("id", Integer),
    Column("agency_id", Integer), Column("agency_code", String(64)), Column("user_id", Integer),
    Column("status", String(16)), Column("created", BigInteger), Column("claimed", BigInteger),
    Column("completed", BigInteger), Column("due", BigInteger), Column("overdue", BigInteger))
STATIC_TABLES = (SNAPSHOT, SNAPSHOT_TASK, SNAPSHOT_EVENT, LOCATION, CANDIDATE)
CHUNK_TABLES = (CASE_PLAN, TASK_PLAN)

# The SLA monitor notices a breach on its next tick, and the supervision chain's second step comes later.
MONITOR_DELAY = 60
SUPERVISION_AFTER = 4 * 3600


class BulkSql:
    """The statements of one database dialect."""

    def __init__(self, dialect: str):
        self.postgres = dialect == "postgresql"
        self.true, self.false = ("true", "false") if self.postgres else ("1", "0")

    def ts(self, seconds: str) -> str:
        if self.postgres:
            return f"to_timestamp({seconds})"
        # The text SQLAlchemy's SQLite DateTime reads and compares: microseconds always spelled out.
        return f"strftime('%Y-%m-%d %H:%M:%S.000000', {seconds}, 'unixepoch')"

    def iso(self, seconds: str) -> str:
        """The moment as datetime.isoformat() spells it in UTC (whole seconds)."""
        if self.postgres:
            return f"to_char(to_timestamp({seconds}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')"
        return f"strftime('%Y-%m-%dT%H:%M:%S+00:00', {seconds}, 'unixepoch')"

    def json(self, value: str) -> str:
        return f"CAST({value} AS json)" if self.postgres else value

    def task_id(self) -> str:
        if self.postgres:
            return "nextval(pg_get_serial_sequence('task', 'id'))"
        # SQLite: the chunk's transaction holds the write lock since its first insert, so MAX(id) stays ours.
        return "(SELECT COALESCE(MAX(id), 0) FROM task) + ROW_NUMBER() OVER (ORDER BY c.id, st.ordinal)"

    def statements(self) -> list[tuple[str, str]]:
        """(table, statement) of one chunk, in order, once gen_case holds the chunk's plan."""
        ts, iso, json = self.ts, self.iso, self.json
        return [
            ("case_record", f"""
INSERT INTO case_record (id, process_version_id, process_id, title, status, location_id, jurisdiction_path, state,
                         next_timer_at, version, created_at, updated_at, completed_at, category, closure,
                         resolved_level, court_outcome, reopened_count, diverted_at)
SELECT c.id, s.process_version_id, s.process_id, s.title, c.status, c.location_id, l.path,
       CASE WHEN c.timer_at IS NOT NULL
            THEN replace(replace(s.state, '{LOCATION_TOKEN}', l.code), s.timer_iso, {iso('c.timer_at')})
            ELSE replace(s.state, '{LOCATION_TOKEN}', l.code) END,
       {ts('c.timer_at')}, 1, {ts('c.created')}, {ts('c.updated')}, {ts('c.ended')}, s.category, s.closure,
       s.resolved_level, s.court_outcome, s.reopened_count, {ts('c.diverted')}
FROM gen_case c JOIN gen_snapshot s ON s.id = c.snapshot_id JOIN gen_location l ON l.id = c.location_id"""),
            ("", f"""
INSERT INTO gen_task (id, case_id, ordinal, agency_id, agency_code, user_id, status, created, claimed, completed,
                      due, overdue)
SELECT id, case_id, ordinal, agency_id, agency_code, user_id, status, created, claimed, completed, due,
       CASE WHEN due + {MONITOR_DELAY} < COALESCE(completed, :now) THEN due + {MONITOR_DELAY} END
FROM (
  SELECT {self.task_id()} AS id, c.id AS case_id, st.ordinal, k.agency_id, k.agency_code, k.user_id,
         CASE WHEN NOT st.is_open THEN st.status
              WHEN c.status = 'cancelled' THEN 'cancelled'
              WHEN c.t_claim IS NOT NULL AND k.user_id IS NOT NULL THEN 'claimed'
              ELSE 'open' END AS status,
         c.created + CAST(c.scale * st.created_b AS INTEGER) AS created,
         CASE WHEN NOT st.is_open THEN c.created + CAST(c.scale * st.claimed_b AS INTEGER)
              WHEN c.status = 'running' AND k.user_id IS NOT NULL THEN c.t_claim END AS claimed,
         CASE WHEN NOT st.is_open THEN c.created + CAST(c.scale * st.completed_b AS INTEGER)
              WHEN c.status = 'cancelled' THEN c.ended END AS completed,
         c.created + CAST(c.scale * st.created_b AS INTEGER) + st.due_offset AS due
  FROM gen_case c JOIN gen_snapshot_task st ON st.snapshot_id = c.snapshot_id
  LEFT JOIN gen_candidate k ON k.location_id = c.location_id AND k.kind = st.agency_kind
) AS planned"""),
            ("task", f"""
INSERT INTO task (id, case_id, jurisdiction_path, spiff_task_id, bpmn_id, name, lane, agency_kind,
                  candidate_agency_id, form, stage, returnable, status, claimed_by_id, claimed_at, created_at,
                  due_at, deadline, completed_at, completed_by_id, overdue_at, satisfied, version)
SELECT t.id, t.case_id, l.path, st.spiff_task_id, st.bpmn_id, st.name, st.lane, st.agency_kind, t.agency_id,
       st.form, st.stage, st.returnable, t.status, CASE WHEN t.claimed IS NOT NULL THEN t.user_id END,
       {ts('t.claimed')}, {ts('t.created')}, {ts('t.due')}, st.deadline, {ts('t.completed')},
       CASE WHEN t.status IN ('completed', 'returned') THEN t.user_id END, {ts('t.overdue')}, st.satisfied, 1
FROM gen_task t JOIN gen_case c ON c.id = t.case_id
JOIN gen_snapshot_task st ON st.snapshot_id = c.snapshot_id AND st.ordinal = t.ordinal
JOIN gen_location l ON l.id = c.location_id"""),
            ("supervision_step", f"""
INSERT INTO supervision_step (task_id, case_id, step, kind, targets, breached_due_at, send_at, status, sent_at)
SELECT t.id, t.case_id, 'reminder', 'reminder', 'assignee,agency', {ts('t.due')}, {ts('t.due')}, 'sent',
       {ts('t.overdue')}
FROM gen_task t WHERE t.overdue IS NOT NULL
UNION ALL
SELECT t.id, t.case_id, 'supervision', 'supervision', 'supervisor_above', {ts('t.due')},
       {ts(f't.due + {SUPERVISION_AFTER}')},
       CASE WHEN t.completed IS NOT NULL AND t.completed <= t.due + {SUPERVISION_AFTER} THEN 'cancelled'
            WHEN t.due + {SUPERVISION_AFTER} > :now THEN 'pending' ELSE 'sent' END,
       CASE WHEN t.completed IS NOT NULL AND t.completed <= t.due + {SUPERVISION_AFTER} THEN {ts('t.completed')}
            WHEN t.due + {SUPERVISION_AFTER} <= :now THEN {ts(f't.due + {SUPERVISION_AFTER}')} END
FROM gen_task t WHERE t.overdue IS NOT NULL"""),
            ("audit_event", f"""
INSERT INTO audit_event (case_id, task_id, actor_id, event, at, data)
SELECT case_id, task_id, actor_id, event, {ts('at')}, {json('data')} FROM (
  SELECT c.id AS case_id, t.id AS task_id, a.user_id AS actor_id, e.event,
         c.created + CAST(c.scale * e.b AS INTEGER) AS at, e.seq,
         replace(replace(e.data, '{LOCATION_TOKEN}', l.code), '{AGENCY_TOKEN}', COALESCE(t.agency_code, '')) AS data
  FROM gen_case c JOIN gen_snapshot_event e ON e.snapshot_id = c.snapshot_id JOIN gen_location l ON l.id = c.location_id
  LEFT JOIN gen_task t ON t.case_id = c.id AND t.ordinal = e.task_ordinal
  LEFT JOIN gen_task a ON a.case_id = c.id AND a.ordinal = e.actor_ordinal
  UNION ALL
  SELECT case_id, id, user_id, 'claimed', claimed, 100000, NULL FROM gen_task WHERE status = 'claimed'
  UNION ALL
  SELECT case_id, id, NULL, 'cancelled', completed, 100000, NULL FROM gen_task WHERE status = 'cancelled'
  UNION ALL
  SELECT case_id, id, NULL, 'overdue', overdue, 100001,
         '{{"due_at": "' || {iso('due')} || '", "found_at": "' || {iso('overdue')} || '"}}'
  FROM gen_task WHERE overdue IS NOT NULL
  UNION ALL
  SELECT case_id, id, NULL, 'supervision_sent', overdue, 100002,
         '{{"step": "reminder", "kind": "reminder", "recipients": [[' || agency_id || ', null]]}}'
  FROM gen_task WHERE overdue IS NOT NULL AND agency_id IS NOT NULL
) AS events ORDER BY case_id, at, seq"""),
            # Each diverted matter came in as a 110 incident; about one police matter in three stayed with
            # the police and made no case.
            ("incident", f"""
INSERT INTO incident (source, external_id, received_at, reported_at, category, location_id, description,
                      police_matter, case_id)
SELECT '110', 'gen-' || c.id, {ts('c.created')}, {ts('c.created - 300')}, COALESCE(s.category, 'other'),
       c.location_id, s.title, {self.false}, c.id
FROM gen_case c JOIN gen_snapshot s ON s.id = c.snapshot_id WHERE s.process_id = 'diversion'
UNION ALL
SELECT '110', 'gen-police-' || c.id, {ts('c.created - 3600')}, {ts('c.created - 3900')},
       COALESCE(s.category, 'other'), c.location_id, s.title, {self.true}, NULL
FROM gen_case c JOIN gen_snapshot s ON s.id = c.snapshot_id WHERE s.process_id = 'diversion' AND c.police_incident"""),
        ]

    def begin_chunk(self, conn: Connection) -> None:
        """Set up a chunk's transaction (PostgreSQL): room to sort and hash in memory, no per-row FK checks.

        The rows refer only to rows of the same transaction or to rows read before it, by construction, so
        a superuser's bulk load skips the foreign-key triggers (session_replication_role); others keep them.
        """
        if not self.postgres:
            return
        conn.execute(text("SET LOCAL work_mem = '256MB'"))
        if conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar():
            conn.execute(text("SET LOCAL session_replication_role = replica"))

    def case_ids(self, conn: Connection, count: int) -> list[int]:
        """Take `count` new case ids."""
        if self.postgres:
            return list(conn.execute(text("SELECT nextval(pg_get_serial_sequence('case_record', 'id')) "
                                          "FROM generate_series(1, :n)"), {"n": count}).scalars())
        # A write first: the transaction takes SQLite's write lock, so no other writer takes these ids.
        conn.execute(text("UPDATE case_record SET version = version WHERE id < 0"))
        start = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM case_record")).scalar_one()
        return list(range(start + 1, start + count + 1))

    def load(self, conn: Connection, table: Table, rows: list[dict]) -> None:
        """Fill a temporary table: COPY on PostgreSQL (many times faster than INSERTs), else executemany."""
        if not rows:
            return
        if not self.postgres:
            conn.execute(table.insert(), rows)
            return
        names = [column.name for column in table.columns]
        with conn.connection.driver_connection.cursor() as cursor, \
                cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row.get(name) for name in names])

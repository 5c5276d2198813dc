"""inbox at scale

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 04:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _postgres_has_lz4() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    return bool(bind.execute(sa.text(
        "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)")).scalar())


def upgrade():
    # The inbox reads a page of an agency's active task ids, and their count, from this small index alone.
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_active_agency_due', ['candidate_agency_id', 'status', 'due_at', 'id'],
                              unique=False, postgresql_where=sa.text("status IN ('open', 'claimed')"),
                              sqlite_where=sa.text("status IN ('open', 'claimed')"))
    # Prometheus counts the dead outbox messages at every scrape: without it, a scan of every sent one.
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_dead', ['id'], unique=False, postgresql_where=sa.text("status = 'dead'"),
                              sqlite_where=sa.text("status = 'dead'"))
    # A case's state is ~10 kB of JSON saved by every command: lz4 compresses it several times faster than
    # PostgreSQL's default pglz, for a slightly larger result. Rows already stored keep their compression.
    if _postgres_has_lz4():
        op.execute("ALTER TABLE case_record ALTER COLUMN state SET COMPRESSION lz4")


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_dead', postgresql_where=sa.text("status = 'dead'"),
                            sqlite_where=sa.text("status = 'dead'"))
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_active_agency_due', postgresql_where=sa.text("status IN ('open', 'claimed')"),
                            sqlite_where=sa.text("status IN ('open', 'claimed')"))
    if _postgres_has_lz4():
        op.execute("ALTER TABLE case_record ALTER COLUMN state SET COMPRESSION pglz")

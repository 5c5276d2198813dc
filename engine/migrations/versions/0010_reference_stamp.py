"""reference stamp

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 07:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# The tables whose rows the engine keeps in memory between commands (engine/reference.py).
REFERENCE_TABLES = ('agency', 'calendar_day', 'calendar_year')
_POSTGRES_RENEW = """
CREATE OR REPLACE FUNCTION renew_reference_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reference_stamp (id, stamp) VALUES (1, (random() * 9e18)::bigint)
    ON CONFLICT (id) DO UPDATE SET stamp = excluded.stamp;
    RETURN NULL;
END
$$
"""
# SQLite has no statement triggers: one per row and kind of change.
_SQLITE_RENEW = ("INSERT INTO reference_stamp (id, stamp) VALUES (1, random()) "
                 "ON CONFLICT (id) DO UPDATE SET stamp = excluded.stamp")


def upgrade():
    op.create_table('reference_stamp',
                    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('stamp', sa.BigInteger(), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_stamp')))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(_POSTGRES_RENEW)
        for table in REFERENCE_TABLES:
            op.execute(f"CREATE TRIGGER {table}_renews_reference_stamp "
                       f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION renew_reference_stamp()")
        op.execute("INSERT INTO reference_stamp (id, stamp) VALUES (1, (random() * 9e18)::bigint)")
    else:
        for table in REFERENCE_TABLES:
            for change in ('INSERT', 'UPDATE', 'DELETE'):
                op.execute(f"CREATE TRIGGER {table}_{change.lower()}_renews_reference_stamp "
                           f"AFTER {change} ON {table} BEGIN {_SQLITE_RENEW}; END")
        op.execute("INSERT INTO reference_stamp (id, stamp) VALUES (1, random())")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in REFERENCE_TABLES:
            op.execute(f"DROP TRIGGER {table}_renews_reference_stamp ON {table}")
        op.execute("DROP FUNCTION renew_reference_stamp()")
    else:
        for table in REFERENCE_TABLES:
            for change in ('insert', 'update', 'delete'):
                op.execute(f"DROP TRIGGER {table}_{change}_renews_reference_stamp")
    op.drop_table('reference_stamp')

"""task case index

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 08:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    # uq_task_case_spiff_task (case_id, spiff_task_id) finds a case's tasks as well; every task row written
    # paid for this one too.
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_case_id')


def downgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_case_id', ['case_id'], unique=False)

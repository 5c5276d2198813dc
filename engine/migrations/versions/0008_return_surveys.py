"""return surveys

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 01:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('return_survey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('satisfaction', sa.String(length=32), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_return_survey_case_id_case_record')),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_return_survey_task_id_task')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_survey')),
    sa.UniqueConstraint('task_id', name=op.f('uq_return_survey_task_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_return_survey_token_hash'))
    )
    with op.batch_alter_table('return_survey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_survey_case_id'), ['case_id'], unique=False)


def downgrade():
    with op.batch_alter_table('return_survey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_return_survey_case_id'))

    op.drop_table('return_survey')

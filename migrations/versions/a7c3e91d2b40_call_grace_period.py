"""a call's published grace period after its closing time

A submission that reached the server up to ``grace_minutes`` after the
closing time is still accepted; existing calls have none.

Revision ID: a7c3e91d2b40
Revises: f132ec89b7e5
Create Date: 2026-12-02 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'a7c3e91d2b40'
down_revision = 'f132ec89b7e5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grace_minutes', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_column('grace_minutes')

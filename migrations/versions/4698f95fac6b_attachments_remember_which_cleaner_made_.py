"""Attachments remember which version of the cleaner made their stored bytes

Files stored before uploads were cleaned get 0 and are cleaned again
whenever they are served (a file that cannot be cleaned is not served).

Revision ID: 4698f95fac6b
Revises: cfffd8e7eed8
Create Date: 2026-12-02 03:46:51.716827
"""
import sqlalchemy as sa
from alembic import op

revision = '4698f95fac6b'
down_revision = 'cfffd8e7eed8'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cleaner_version', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_column('cleaner_version')

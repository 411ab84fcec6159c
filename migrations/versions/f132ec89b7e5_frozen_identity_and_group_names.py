"""the identity frozen with a submitted version, and a group's former and other names

A submitted version keeps who the group was when it submitted (its names,
members and contact), so that renaming the group or a member leaving never
lets the blind face reveal anything. A group records its former names and
other names (short forms, English name), hidden like its name while review
is blind. Versions submitted before this revision have an empty identity and
are redacted with the group's current identity alone.

Revision ID: f132ec89b7e5
Revises: 401ef8c70790
Create Date: 2026-12-02 04:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'f132ec89b7e5'
down_revision = '401ef8c70790'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('former_names', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('other_names', sa.JSON(), server_default='[]', nullable=False))
    with op.batch_alter_table('proposal_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity', sa.JSON(), server_default='{}', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('proposal_versions', schema=None) as batch_op:
        batch_op.drop_column('identity')
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_column('other_names')
        batch_op.drop_column('former_names')

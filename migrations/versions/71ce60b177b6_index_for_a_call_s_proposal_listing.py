"""index for a call's proposal listing

Revision ID: 71ce60b177b6
Revises: 605179a066fc
Create Date: 2026-11-22 00:36:46.313957
"""
from alembic import op
import sqlalchemy as sa
import venture.core.models


revision = '71ce60b177b6'
down_revision = '605179a066fc'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index('ix_proposals_call_status_submitted', ['call_id', 'status', 'submitted_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_proposals_call_status_submitted')


"""An index for a proposal's comment thread read a page at a time

Revision ID: 3268480e5098
Revises: 1a6370a5b0cd
Create Date: 2026-11-22 05:51:55.818380
"""
from alembic import op

revision = '3268480e5098'
down_revision = '1a6370a5b0cd'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_comments_proposal_thread', 'comments', ['proposal_id', 'parent_id', 'created_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_comments_proposal_thread', table_name='comments')

"""search documents for the PostgreSQL search backend

With SEARCH_BACKEND=postgresql the public documents live in this table
rather than in a Whoosh folder: jieba's tokens at word positions in a
tsvector (``simple`` configuration), under a GIN index, so several
application servers share one index. Empty (and unused) with Whoosh.

Revision ID: a7c3e91d2b40
Revises: f132ec89b7e5
Create Date: 2026-12-02 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import venture.core.models
from sqlalchemy.dialects import postgresql


revision = 'a7c3e91d2b40'
down_revision = 'f132ec89b7e5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'search_documents',
        sa.Column('doc_key', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('object_id', sa.Integer(), nullable=False),
        sa.Column('call_id', sa.String(length=20), nullable=False),
        sa.Column('call_kind', sa.String(length=20), nullable=False),
        sa.Column('theme', sa.Text(), nullable=False),
        sa.Column('district', sa.Text(), nullable=False),
        sa.Column('words', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'), nullable=False),
        sa.Column('created', venture.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('doc_key', name=op.f('pk_search_documents')),
    )
    op.create_index(op.f('ix_search_documents_call_id'), 'search_documents', ['call_id'], unique=False)
    op.create_index('ix_search_documents_words', 'search_documents', ['words'], unique=False,
                    postgresql_using='gin')


def downgrade() -> None:
    op.drop_index('ix_search_documents_words', table_name='search_documents', postgresql_using='gin')
    op.drop_index(op.f('ix_search_documents_call_id'), table_name='search_documents')
    op.drop_table('search_documents')

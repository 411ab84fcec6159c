"""Signed checkpoints of the audit chain's head (sequence, head, time, reason,
Ed25519 signature), published on /transparency and at /api/v1/checkpoints

Revision ID: cfffd8e7eed8
Revises: 3268480e5098
Create Date: 2026-12-02 03:44:45.104085
"""
from alembic import op
import sqlalchemy as sa
import venture.core.models


revision = 'cfffd8e7eed8'
down_revision = '3268480e5098'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.BigInteger(), nullable=False),
    sa.Column('head', sa.String(length=64), nullable=False),
    sa.Column('made_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('signature', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints')),
    sa.UniqueConstraint('sequence', name=op.f('uq_audit_checkpoints_sequence'))
    )


def downgrade() -> None:
    op.drop_table('audit_checkpoints')

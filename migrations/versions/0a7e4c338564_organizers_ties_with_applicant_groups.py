"""Organizers' ties with applicant groups (回避): an organizer tied to a group
stays away from its proposal in a call, and another organizer acts on it

Revision ID: 0a7e4c338564
Revises: 4698f95fac6b
Create Date: 2026-12-02 03:41:33.129992
"""
import sqlalchemy as sa
from alembic import op

import venture.core.models

revision = '0a7e4c338564'
down_revision = '4698f95fac6b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'organizer_ties',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('call_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('source', sa.Enum('declared', 'affiliation', 'membership', 'organizer', name='conflictsource',
                                    native_enum=False, length=12), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('created_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_organizer_ties_call_id_calls'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_organizer_ties_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_organizer_ties_group_id_groups'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_organizer_ties_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organizer_ties')),
        sa.UniqueConstraint('call_id', 'user_id', 'group_id', name=op.f('uq_organizer_ties_call_id_user_id_group_id')),
    )
    with op.batch_alter_table('organizer_ties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organizer_ties_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_organizer_ties_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('organizer_ties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organizer_ties_user_id'))
        batch_op.drop_index(batch_op.f('ix_organizer_ties_group_id'))
    op.drop_table('organizer_ties')

"""Expert profiles, screening, panels, conflicts, assignments and reviews

Revision ID: 6859f0585c11
Revises: 71ce60b177b6
Create Date: 2026-11-22 01:18:14.572195
"""
from alembic import op
import sqlalchemy as sa
import venture.core.models


revision = '6859f0585c11'
down_revision = '71ce60b177b6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('panel_draws',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('minimums', sa.JSON(), nullable=False),
    sa.Column('pool_snapshot', sa.JSON(), nullable=False),
    sa.Column('chosen', sa.JSON(), nullable=False),
    sa.Column('shortfalls', sa.JSON(), nullable=False),
    sa.Column('replaces_member_id', sa.Integer(), nullable=True),
    sa.Column('created_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_panel_draws_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_panel_draws_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_draws'))
    )
    with op.batch_alter_table('panel_draws', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_draws_call_id'), ['call_id'], unique=False)

    op.create_table('panel_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=True),
    sa.Column('manual', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('invited', 'accepted', 'declined', 'withdrawn', name='memberstatus', native_enum=False, length=12), nullable=False),
    sa.Column('responded_at', venture.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('conflicts_declared_at', venture.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_panel_members_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['draw_id'], ['panel_draws.id'], name=op.f('fk_panel_members_draw_id_panel_draws'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['expert_id'], ['pool_experts.id'], name=op.f('fk_panel_members_expert_id_pool_experts'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_members')),
    sa.UniqueConstraint('call_id', 'expert_id', name=op.f('uq_panel_members_call_id_expert_id'))
    )
    with op.batch_alter_table('panel_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_members_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_panel_members_expert_id'), ['expert_id'], unique=False)

    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('manual', sa.Boolean(), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('created_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', venture.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_reason', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['panel_members.id'], name=op.f('fk_assignments_member_id_panel_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_assignments_proposal_id_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_member_active', ['member_id', 'ended_at'], unique=False)
        batch_op.create_index('ix_assignments_proposal_active', ['proposal_id', 'ended_at'], unique=False)

    op.create_table('conflicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('declared', 'affiliation', 'membership', 'organizer', name='conflictsource', native_enum=False, length=12), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_conflicts_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_conflicts_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['panel_members.id'], name=op.f('fk_conflicts_member_id_panel_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conflicts')),
    sa.UniqueConstraint('member_id', 'group_id', name=op.f('uq_conflicts_member_id_group_id'))
    )
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conflicts_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conflicts_member_id'), ['member_id'], unique=False)

    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', name='reviewstatus', native_enum=False, length=12), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('comment_to_applicant', sa.Text(), nullable=False),
    sa.Column('note_to_organizer', sa.Text(), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('updated_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', venture.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_reviews_assignment_id_assignments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('assignment_id', name=op.f('uq_reviews_assignment_id'))
    )
    op.create_table('review_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('version_no', sa.Integer(), nullable=False),
    sa.Column('submitted_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('total', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.CheckConstraint('total >= 0', name=op.f('ck_review_versions_total_not_negative')),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_versions_review_id_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_versions')),
    sa.UniqueConstraint('review_id', 'version_no', name=op.f('uq_review_versions_review_id_version_no'))
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewers_see_opinion', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('review_due_at', venture.core.models.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('pool_experts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expertise', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('affiliations', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('available', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('availability_note', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('profile_updated_at', venture.core.models.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('screening', sa.Enum('pending', 'eligible', 'ineligible', name='screening', native_enum=False, length=12), server_default='pending', nullable=False))
        batch_op.add_column(sa.Column('screening_reason', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('screened_at', venture.core.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_column('screened_at')
        batch_op.drop_column('screening_reason')
        batch_op.drop_column('screening')

    with op.batch_alter_table('pool_experts', schema=None) as batch_op:
        batch_op.drop_column('profile_updated_at')
        batch_op.drop_column('availability_note')
        batch_op.drop_column('available')
        batch_op.drop_column('affiliations')
        batch_op.drop_column('expertise')

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_column('review_due_at')
        batch_op.drop_column('reviewers_see_opinion')

    op.drop_table('review_versions')
    op.drop_table('reviews')
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conflicts_member_id'))
        batch_op.drop_index(batch_op.f('ix_conflicts_group_id'))

    op.drop_table('conflicts')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_proposal_active')
        batch_op.drop_index('ix_assignments_member_active')

    op.drop_table('assignments')
    with op.batch_alter_table('panel_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_members_expert_id'))
        batch_op.drop_index(batch_op.f('ix_panel_members_call_id'))

    op.drop_table('panel_members')
    with op.batch_alter_table('panel_draws', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_draws_call_id'))

    op.drop_table('panel_draws')

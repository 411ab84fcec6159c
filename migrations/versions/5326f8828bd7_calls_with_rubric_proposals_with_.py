"""calls with rubric, proposals with versions, attachments and receipts

Revision ID: 5326f8828bd7
Revises: 131ade243de3
Create Date: 2026-11-21 23:20:43.071718
"""
from alembic import op
import sqlalchemy as sa
import venture.core.models


revision = '5326f8828bd7'
down_revision = '131ade243de3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('receipt_counters',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('code', sa.String(length=4), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', 'code', name=op.f('pk_receipt_counters'))
    )
    op.create_table('calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('social_venture', 'micro_livelihood', name='callkind', native_enum=False, length=20), nullable=False),
    sa.Column('phase', sa.Enum('draft', 'open', 'closed', 'review', 'notice', 'published', 'cancelled', name='phase', native_enum=False, length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=1000), nullable=False),
    sa.Column('text_markdown', sa.Text(), nullable=False),
    sa.Column('text_html', sa.Text(), nullable=False),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('districts', sa.JSON(), nullable=False),
    sa.Column('allow_registered', sa.Boolean(), nullable=False),
    sa.Column('allow_grassroots', sa.Boolean(), nullable=False),
    sa.Column('total_budget_fen', sa.Integer(), nullable=False),
    sa.Column('min_grant_fen', sa.Integer(), nullable=False),
    sa.Column('max_grant_fen', sa.Integer(), nullable=False),
    sa.Column('opens_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closes_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=False),
    sa.Column('required_attachments', sa.JSON(), nullable=False),
    sa.Column('reviewers_per_proposal', sa.Integer(), nullable=False),
    sa.Column('min_fundable_score', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('notice_days', sa.Integer(), nullable=False),
    sa.Column('created_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', venture.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('allow_registered OR allow_grassroots', name=op.f('ck_calls_someone_may_apply')),
    sa.CheckConstraint('max_grant_fen <= total_budget_fen', name=op.f('ck_calls_max_within_budget')),
    sa.CheckConstraint('min_grant_fen >= 0 AND min_grant_fen <= max_grant_fen', name=op.f('ck_calls_grant_range')),
    sa.CheckConstraint('notice_days BETWEEN 1 AND 60', name=op.f('ck_calls_notice_range')),
    sa.CheckConstraint('opens_at < closes_at', name=op.f('ck_calls_opens_before_closing')),
    sa.CheckConstraint('reviewers_per_proposal BETWEEN 1 AND 15', name=op.f('ck_calls_reviewers_range')),
    sa.ForeignKeyConstraint(['body_id'], ['organizing_bodies.id'], name=op.f('fk_calls_body_id_organizing_bodies'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calls'))
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calls_body_id'), ['body_id'], unique=False)
        batch_op.create_index('ix_calls_phase_closes_at', ['phase', 'closes_at'], unique=False)

    op.create_table('criteria',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('guidance', sa.String(length=1000), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('max_points', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.CheckConstraint('max_points > 0', name=op.f('ck_criteria_max_points_positive')),
    sa.CheckConstraint('weight > 0 AND weight <= 100', name=op.f('ck_criteria_weight_range')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_criteria_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criteria')),
    sa.UniqueConstraint('call_id', 'position', name=op.f('uq_criteria_call_id_position'))
    )
    op.create_table('proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'withdrawn', name='proposalstatus', native_enum=False, length=12), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=1000), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=False),
    sa.Column('budget', sa.JSON(), nullable=False),
    sa.Column('requested_fen', sa.Integer(), nullable=False),
    sa.Column('beneficiaries', sa.Integer(), nullable=True),
    sa.Column('district', sa.String(length=60), nullable=False),
    sa.Column('theme', sa.String(length=60), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('created_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', venture.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version_count', sa.Integer(), nullable=False),
    sa.CheckConstraint("(status = 'draft') = (number IS NULL)", name=op.f('ck_proposals_number_once_submitted')),
    sa.CheckConstraint('requested_fen >= 0', name=op.f('ck_proposals_requested_not_negative')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_proposals_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_proposals_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_proposals_group_id_groups'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_proposals_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals')),
    sa.UniqueConstraint('call_id', 'group_id', name=op.f('uq_proposals_call_id_group_id')),
    sa.UniqueConstraint('number', name=op.f('uq_proposals_number'))
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index('ix_proposals_call_status', ['call_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_group_id'), ['group_id'], unique=False)

    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.String(length=40), nullable=False),
    sa.Column('filename', sa.String(length=160), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('uploaded_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('removed_at', venture.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_attachments_proposal_id_proposals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_attachments_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_attachments_stored_name'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('proposal_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('version_no', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('submitted_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_versions_proposal_id_proposals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_proposal_versions_submitted_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_versions')),
    sa.UniqueConstraint('proposal_id', 'version_no', name=op.f('uq_proposal_versions_proposal_id_version_no'))
    )
    op.create_table('stashed_forms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('browser_digest', sa.String(length=64), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_stashed_forms_proposal_id_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stashed_forms')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_stashed_forms_token_digest'))
    )


def downgrade() -> None:
    op.drop_table('stashed_forms')
    op.drop_table('proposal_versions')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_proposal_id'))

    op.drop_table('attachments')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposals_group_id'))
        batch_op.drop_index('ix_proposals_call_status')

    op.drop_table('proposals')
    op.drop_table('criteria')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index('ix_calls_phase_closes_at')
        batch_op.drop_index(batch_op.f('ix_calls_body_id'))

    op.drop_table('calls')
    op.drop_table('receipt_counters')

"""Results: scoring method of a call, component scores, funding adjustments, result records, objections

Revision ID: 5c30a45067ec
Revises: 6859f0585c11
Create Date: 2026-11-22 01:23:41.544046
"""
from alembic import op
import sqlalchemy as sa
import venture.core.models


revision = '5c30a45067ec'
down_revision = '6859f0585c11'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('result_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Enum('proposed', 'final', name='resultstage', native_enum=False, length=10), nullable=False),
    sa.Column('created_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('chain_seq', sa.Integer(), nullable=True),
    sa.Column('chain_head', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_result_records_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_result_records_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_result_records')),
    sa.UniqueConstraint('call_id', 'stage', name=op.f('uq_result_records_call_id_stage'))
    )
    op.create_table('component_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('entered_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('value >= 0 AND value <= 100', name=op.f('ck_component_scores_value_range')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_component_scores_entered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_component_scores_proposal_id_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_component_scores')),
    sa.UniqueConstraint('proposal_id', name=op.f('uq_component_scores_proposal_id'))
    )
    op.create_table('funding_adjustments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=True),
    sa.Column('set_aside', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('made_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('made_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('set_aside OR amount_fen > 0', name=op.f('ck_funding_adjustments_amount_or_set_aside')),
    sa.ForeignKeyConstraint(['made_by_id'], ['users.id'], name=op.f('fk_funding_adjustments_made_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_funding_adjustments_proposal_id_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_funding_adjustments')),
    sa.UniqueConstraint('proposal_id', name=op.f('uq_funding_adjustments_proposal_id'))
    )
    op.create_table('objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('attachment_name', sa.String(length=160), nullable=False),
    sa.Column('attachment_stored', sa.String(length=64), nullable=True),
    sa.Column('attachment_kind', sa.String(length=10), nullable=False),
    sa.Column('created_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('open', 'upheld', 'rejected', name='objectionstatus', native_enum=False, length=10), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_at', venture.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_objections_answered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_objections_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_objections_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_objections_proposal_id_proposals'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objections')),
    sa.UniqueConstraint('attachment_stored', name=op.f('uq_objections_attachment_stored'))
    )
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objections_call_id'), ['call_id'], unique=False)

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aggregation_method', sa.String(length=10), server_default='mean', nullable=False))
        batch_op.add_column(sa.Column('normalise_scores', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('component_weight', sa.Numeric(precision=3, scale=2), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('component_label', sa.String(length=120), server_default='', nullable=False))
        batch_op.add_column(sa.Column('disagreement_threshold', sa.Numeric(precision=5, scale=2), server_default='20', nullable=False))
        batch_op.add_column(sa.Column('tie_criterion_position', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('notice_opened_at', venture.core.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('notice_ends_at', venture.core.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('results_published_at', venture.core.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint('aggregation_method_known', "aggregation_method IN ('mean', 'trimmed')")
        batch_op.create_check_constraint('component_weight_range', 'component_weight >= 0 AND component_weight < 1')


def downgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_constraint('component_weight_range', type_='check')
        batch_op.drop_constraint('aggregation_method_known', type_='check')
        batch_op.drop_column('results_published_at')
        batch_op.drop_column('notice_ends_at')
        batch_op.drop_column('notice_opened_at')
        batch_op.drop_column('tie_criterion_position')
        batch_op.drop_column('disagreement_threshold')
        batch_op.drop_column('component_label')
        batch_op.drop_column('component_weight')
        batch_op.drop_column('normalise_scores')
        batch_op.drop_column('aggregation_method')

    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objections_call_id'))

    op.drop_table('objections')
    op.drop_table('funding_adjustments')
    op.drop_table('component_scores')
    op.drop_table('result_records')

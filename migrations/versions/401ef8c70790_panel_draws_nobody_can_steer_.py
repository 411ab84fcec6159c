"""Panel draws nobody can steer: commitments, witnesses, chain head; screening reason categories

A draw's seed now comes from a commitment published before the draw
(``draw_commitments``: the digest public at once, the secret revealed by the
draw), the values witnesses enter at the draw and the audit chain's head;
replacement draws derive theirs from the draw they fill in for. Draws can be
discarded (with a reason) but never disappear. Screening decisions carry a
reason category that is published with the result, while the written reason
stays private. Existing draws are marked as seeded by the server.

Revision ID: 401ef8c70790
Revises: 457836b1d81f
Create Date: 2026-12-02 03:41:23.558724
"""
import sqlalchemy as sa
from alembic import op

import venture.core.models


revision = '401ef8c70790'
down_revision = '457836b1d81f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('draw_commitments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('created_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('used_at', venture.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_draw_commitments_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_draw_commitments_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draw_commitments'))
    )
    with op.batch_alter_table('draw_commitments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draw_commitments_call_id'), ['call_id'], unique=False)

    with op.batch_alter_table('panel_draws', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method', sa.Enum('ceremony', 'replacement', 'server', name='drawmethod', native_enum=False, length=12), server_default='server', nullable=False))
        batch_op.add_column(sa.Column('commitment_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('witnesses', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('chain_seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('chain_head', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('parent_draw_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('discarded_at', venture.core.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('discard_reason', sa.Text(), server_default='', nullable=False))
        batch_op.create_unique_constraint(batch_op.f('uq_panel_draws_commitment_id'), ['commitment_id'])
        batch_op.create_foreign_key(batch_op.f('fk_panel_draws_parent_draw_id_panel_draws'), 'panel_draws', ['parent_draw_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_panel_draws_commitment_id_draw_commitments'), 'draw_commitments', ['commitment_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('screening_category', sa.String(length=20), server_default='', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_column('screening_category')

    with op.batch_alter_table('panel_draws', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_panel_draws_commitment_id_draw_commitments'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_panel_draws_parent_draw_id_panel_draws'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_panel_draws_commitment_id'), type_='unique')
        batch_op.drop_column('discard_reason')
        batch_op.drop_column('discarded_at')
        batch_op.drop_column('parent_draw_id')
        batch_op.drop_column('chain_head')
        batch_op.drop_column('chain_seq')
        batch_op.drop_column('witnesses')
        batch_op.drop_column('commitment_id')
        batch_op.drop_column('method')

    with op.batch_alter_table('draw_commitments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draw_commitments_call_id'))

    op.drop_table('draw_commitments')

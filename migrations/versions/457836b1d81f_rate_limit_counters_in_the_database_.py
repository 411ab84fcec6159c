"""Rate-limit counters in the database, mail that failed, links bound to the account's state

- ``rate_limit_counters``: fixed-window counters every worker and server
  shares when there is no Redis (``venture.core.ratelimit.DatabaseStore``).
- ``outbox_mails.failed_at``: a message given up on (it cannot be built, or
  every attempt failed), so it no longer holds up the queue.
- ``account_tokens.state_digest``: the account's address and password as they
  were when a link was mailed; a link sent before either changed stops
  working. Links issued before this migration have none and no longer work
  (they last at most a few days; a new one is a click away).
- the ``confirm_login`` purpose: a link that lets a new device log in to an
  account under a guessing attack.

Revision ID: 457836b1d81f
Revises: d71f1e9d4f57
Create Date: 2026-12-02 03:43:10.496642
"""
import sqlalchemy as sa
from alembic import op

import venture.core.models

revision = '457836b1d81f'
down_revision = 'd71f1e9d4f57'
branch_labels = None
depends_on = None

PURPOSES_BEFORE = "purpose IN ('verify_email', 'reset_password', 'change_email')"
PURPOSES_AFTER = "purpose IN ('verify_email', 'reset_password', 'change_email', 'confirm_login')"


def upgrade() -> None:
    op.create_table('rate_limit_counters',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('window_ends_at', venture.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counters'))
    )
    with op.batch_alter_table('rate_limit_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limit_counters_window_ends_at'), ['window_ends_at'], unique=False)

    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state_digest', sa.String(length=64), nullable=True))
        batch_op.drop_constraint(op.f('ck_account_tokens_known_purpose'), type_='check')
        batch_op.create_check_constraint('known_purpose', PURPOSES_AFTER)

    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_at', venture.core.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.drop_column('failed_at')

    op.execute("DELETE FROM account_tokens WHERE purpose = 'confirm_login'")
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_account_tokens_known_purpose'), type_='check')
        batch_op.create_check_constraint('known_purpose', PURPOSES_BEFORE)
        batch_op.drop_column('state_digest')

    with op.batch_alter_table('rate_limit_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_counters_window_ends_at'))

    op.drop_table('rate_limit_counters')

"""translatable names

Payment term names are kept per language (core.translatable): a JSON column of the other
languages' values. The default terms, made in English, get their translations from the
catalogs where these have them.

Revision ID: billing_0003
Revises: billing_0002
"""
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = 'billing_0003'
down_revision = 'billing_0002'
branch_labels = None
depends_on = None

CATALOGS = Path(__file__).resolve().parents[2] / "translations"
# the default terms' names as billing_0001's module created them
DEFAULTS = ["Immediate", "15 days", "30 days", "50% now, 50% in 60 days"]


def upgrade():
    # added in place (never a batch copy: invoices and partners' terms refer to the table)
    op.add_column('billing_payment_term', sa.Column('name_translations', sa.JSON(),
                                                    nullable=True))
    from core.translatable import fill_defaults

    fill_defaults(op.get_bind(), "billing_payment_term", DEFAULTS, CATALOGS)


def downgrade():
    with op.batch_alter_table('billing_payment_term', recreate='never') as batch_op:
        batch_op.drop_column('name_translations')

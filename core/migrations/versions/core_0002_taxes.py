"""taxes

The rates document lines are taxed at (core.taxes), with the rates Vietnamese VAT knows to
start from, named in every language the catalogs translate; an administrator renames,
adds or retires them under Settings.

Revision ID: core_0002
Revises: core_0001
"""
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from core.translatable import default_row

revision = 'core_0002'
down_revision = 'core_0001'
branch_labels = None
depends_on = None

CATALOGS = Path(__file__).resolve().parents[3] / "translations"


def upgrade():
    tax = op.create_table(
        'tax',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('name_translations', sa.JSON(), nullable=True),
        sa.Column('rate', sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['core_user.id'],
                                name=op.f('fk_tax_created_by_id_core_user'), ondelete='SET NULL'),
        sa.CheckConstraint('rate >= 0 AND rate <= 100', name=op.f('ck_tax_rate_percent')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tax')))
    with op.batch_alter_table('tax', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tax_active'), ['active'], unique=False)
        batch_op.create_index(batch_op.f('ix_tax_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tax_created_by_id'), ['created_by_id'],
                              unique=False)
    now = datetime.now(UTC).replace(tzinfo=None)
    # the names as the catalogs translate them (core.taxes.models.DEFAULTS)
    op.bulk_insert(tax, [
        {**default_row("name", name, CATALOGS), "rate": Decimal(rate), "sequence": seq,
         "active": True, "created_at": now, "updated_at": now}
        for seq, (name, rate) in enumerate(
            [("No tax", "0"), ("VAT", "5"), ("VAT", "8"), ("VAT", "10")], start=1)])


def downgrade():
    op.drop_table('tax')

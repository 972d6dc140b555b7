"""line kinds

Invoice lines may be section titles and notes (core.documents): a `display_type` on each
line, "line" for the lines there are. And the invoice's total is indexed, as every document's
is (lists sort and sum by it).

Revision ID: billing_0002
Revises: billing_0001
"""
import sqlalchemy as sa
from alembic import op

revision = 'billing_0002'
down_revision = 'billing_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('billing_invoice_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('display_type', sa.String(length=16), nullable=False,
                                      server_default='line'))
    with op.batch_alter_table('billing_invoice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_invoice_amount_total'), ['amount_total'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('billing_invoice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_invoice_amount_total'))
    with op.batch_alter_table('billing_invoice_line', schema=None) as batch_op:
        batch_op.drop_column('display_type')

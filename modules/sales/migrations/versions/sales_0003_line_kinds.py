"""line kinds

Quotation lines may be section titles and notes (core.documents): a `display_type` on each
line, "line" for the lines there are.

Revision ID: sales_0003
Revises: sales_0002
"""
import sqlalchemy as sa
from alembic import op

revision = 'sales_0003'
down_revision = 'sales_0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sale_order_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('display_type', sa.String(length=16), nullable=False,
                                      server_default='line'))


def downgrade():
    with op.batch_alter_table('sale_order_line', schema=None) as batch_op:
        batch_op.drop_column('display_type')

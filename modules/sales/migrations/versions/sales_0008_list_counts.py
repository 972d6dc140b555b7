"""counts the lists' groups read, and the forecast's sums

Orders by state, salesperson and team; leads by status and source; opportunities by
stage and outcome, each also by salesperson and team (models.OrderCounts, LeadCounts,
PipelineCounts; core.rollups): grouping a list by them, the pipeline board and its
widget read these rows instead of every document. Open opportunities by closing month
(models.ForecastByMonth): the forecast and its widget. Sold orders by customer alone, all
time (models.SalesByCustomerEver): everyone's sales analysis by customer. Filled when the module is upgraded
(core.modules.lifecycle sums them again). The board's index ends with the id, its order's
last key: PostgreSQL sorted each stage's opportunities without it.

Revision ID: sales_0008
Revises: sales_0007
"""
import sqlalchemy as sa
from alembic import op

revision = 'sales_0008'
down_revision = 'sales_0007'
branch_labels = None
depends_on = None


def _text(name, length=16):
    return sa.Column(name, sa.String(length), server_default='', nullable=False)


def _id(name):
    return sa.Column(name, sa.Integer(), server_default='0', nullable=False)


def _money(name):
    return sa.Column(name, sa.Numeric(20, 2), server_default='0', nullable=False)


def _table(name, keys, measures=()):
    op.create_table(
        name, sa.Column('id', sa.Integer(), nullable=False), *keys,
        _id('user_id'), _id('team_id'), *measures,
        sa.Column('rows', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}')),
        sa.UniqueConstraint(*(k.name for k in keys), 'user_id', 'team_id',
                            name=f'uq_{name}_keys'))


def upgrade():
    _table('sale_count_order', [_text('state')], [_money('amount_total')])
    _table('sale_count_lead', [_text('type'), _text('status'), _id('source_id')])
    _table('sale_count_pipeline', [_text('type'), _id('stage_id'), _text('outcome', 8)],
           [_money('expected_revenue')])
    op.drop_index('ix_sale_lead_board', table_name='sale_lead')
    op.create_index('ix_sale_lead_board', 'sale_lead', ['type', 'stage_id', 'updated_at', 'id'])
    op.create_table(
        'sale_sum_customer_ever', sa.Column('id', sa.Integer(), nullable=False),
        _id('partner_id'), _money('revenue'), _money('cost'),
        sa.Column('orders', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('rows', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sale_sum_customer_ever')),
        sa.UniqueConstraint('partner_id', name='uq_sale_sum_customer_ever_keys'))
    op.create_index('ix_sale_sum_customer_ever_revenue', 'sale_sum_customer_ever', ['revenue'])
    _table('sale_sum_forecast', [_text('month', 64)],
           [_money('expected'),
            sa.Column('weighted', sa.Numeric(20, 6), server_default='0', nullable=False)])


def downgrade():
    op.drop_index('ix_sale_lead_board', table_name='sale_lead')
    op.create_index('ix_sale_lead_board', 'sale_lead', ['type', 'stage_id', 'updated_at'])
    for name in ('sale_sum_customer_ever', 'sale_sum_forecast', 'sale_count_pipeline', 'sale_count_lead', 'sale_count_order'):
        op.drop_table(name)

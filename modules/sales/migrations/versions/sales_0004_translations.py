"""translatable names

Product names and descriptions, and the names of stages, lead sources and lost reasons are
kept per language (core.translatable): a JSON column of the other languages' values beside
each, and a product description. The default stages, sources and reasons were stored in
English and translated when shown; those that still carry their English name get their
translations from the catalogs, so they read as before and each language can be renamed.

Revision ID: sales_0004
Revises: sales_0003
"""
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = 'sales_0004'
down_revision = 'sales_0003'
branch_labels = None
depends_on = None

CATALOGS = Path(__file__).resolve().parents[2] / "translations"
# the default records' names as sales_0001's module created them
DEFAULTS = {
    "sale_stage": ["New", "Qualified", "Proposal", "Negotiation", "Won", "Lost"],
    "sale_source": ["Website", "Referral", "Trade fair", "Cold call", "Email campaign",
                    "Social media"],
    "sale_lost_reason": ["Too expensive", "Chose a competitor", "No budget", "No answer",
                         "Not a fit"],
}
COLUMNS = [("product", "name_translations"), ("product", "description"),
           ("product", "description_translations"), ("sale_stage", "name_translations"),
           ("sale_source", "name_translations"), ("sale_lost_reason", "name_translations")]


def upgrade():
    # added in place (never a batch copy: order lines and leads refer to these tables)
    for table, column in COLUMNS:
        kind = sa.Text() if column == "description" else sa.JSON()
        op.add_column(table, sa.Column(column, kind, nullable=True))
    from core.translatable import fill_defaults

    bind = op.get_bind()
    for table, names in DEFAULTS.items():
        fill_defaults(bind, table, names, CATALOGS)


def downgrade():
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table, recreate='never') as batch_op:
            batch_op.drop_column(column)

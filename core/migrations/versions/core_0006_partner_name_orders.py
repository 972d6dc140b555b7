"""contacts' names indexed in each language's order

PostgreSQL sorts text in the reader's language (core.search.sort_key: the language's ICU
collation), which the plain index on `partner.name` does not serve: the contacts list
sorted by name, the customer pickers and a list grouped by customer sorted all 100,000
contacts on every request. One index per shipped language's collation
(core.search.create_sorted_index); nothing on SQLite.

Revision ID: core_0006
Revises: core_0005
"""
from alembic import op

from core.search import create_sorted_index, drop_sorted_index

revision = 'core_0006'
down_revision = 'core_0005'
branch_labels = None
depends_on = None


def upgrade():
    create_sorted_index(op.get_bind(), 'partner', 'name')


def downgrade():
    drop_sorted_index(op.get_bind(), 'partner', 'name')

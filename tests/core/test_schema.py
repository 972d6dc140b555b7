"""The tables the migrations make are the ones the models declare: a hand-written
migration (a rollup's table, an index) that drifts from its model fails here, on SQLite
and on PostgreSQL."""
from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.db import db
from core.modules import lifecycle

# what core.search adds beside or to a model's table, which no model declares: SQLite's
# FTS5 tables, PostgreSQL's generated column and its index
SEARCH_TABLES = ("_search", "_search_content", "_search_data", "_search_idx",
                 "_search_config", "_search_docsize")


def _is_search(diff) -> bool:
    found = diff[0] if isinstance(diff, list) else diff
    if str(_table_of(diff)).endswith(SEARCH_TABLES):
        return True
    return any(isinstance(part, sa.Index) and part.name.endswith("_search")
               or isinstance(part, sa.Column) and part.name == "search_text"
               for part in found[1:])


def _table_of(diff) -> str | None:
    """The table an Alembic difference is about."""
    found = diff[0] if isinstance(diff, list) else diff  # a column's changes come listed
    for part in found[1:]:
        if isinstance(part, sa.Table):
            return part.name
        if isinstance(part, sa.Index | sa.UniqueConstraint | sa.Column) and part.table is not None:
            return part.table.name
        if isinstance(part, str) and part:
            return part
    return None


def test_the_migrated_schema_is_the_models(registry):
    lifecycle.enable(registry, [name for name in registry.manifests
                                if not registry.manifests[name].package.startswith("tests.")])
    ours = {name for module in ("core", *registry.enabled)
            for name in registry.module_tables(module)}
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        found = [diff for diff in compare_metadata(context, db.metadata)
                 if _table_of(diff) in ours and not _is_search(diff)]
    assert len(ours) > 30 and found == []

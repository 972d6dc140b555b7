"""The tables the migrations make are the ones the models declare: a hand-written
migration (a rollup's table, an index) that drifts from its model fails here, on SQLite
and on PostgreSQL."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import modules
from core.db import db
from core.modules import lifecycle
from core.search import SORTED_LANGUAGES, sorted_index_name

SHIPPED = Path(modules.__file__).resolve().parent  # the suite's own modules folder

# what core.search adds beside or to a model's table, which no model declares: SQLite's
# FTS5 tables, PostgreSQL's generated column and its index, and PostgreSQL's indexes of
# the contacts' names in each language's order
SORTED = {sorted_index_name("partner", "name", language)
          for language in (*SORTED_LANGUAGES, "und")}
SEARCH_TABLES = ("_search", "_search_content", "_search_data", "_search_idx",
                 "_search_config", "_search_docsize")


def _is_search(diff) -> bool:
    found = diff[0] if isinstance(diff, list) else diff
    if str(_table_of(diff)).endswith(SEARCH_TABLES):
        return True
    return any(isinstance(part, sa.Index) and (part.name.endswith("_search")
                                               or part.name in SORTED)
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
    # the suite's modules (modules/); a test's own (fixtures, the tutorial's steps) may be
    # loaded in this process too, with models ahead of their migrations
    shipped = [name for name, manifest in registry.manifests.items()
               if Path(manifest.path).resolve().is_relative_to(SHIPPED)]
    lifecycle.enable(registry, shipped)
    packages = ("core.", *(registry.manifests[name].package + "." for name in shipped))
    ours = {mapper.class_.__table__.name for mapper in db.Model.registry.mappers
            if mapper.class_.__module__.startswith(packages)}
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        found = [diff for diff in compare_metadata(context, db.metadata)
                 if _table_of(diff) in ours and not _is_search(diff)]
    assert len(ours) > 30 and found == []

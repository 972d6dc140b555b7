"""Alembic environment: always run on a connection handed over by core (see
core/modules/migrations.py), never from an alembic.ini."""
from alembic import context

from core.db import db

config = context.config
connection = config.attributes["connection"]
registry = config.attributes["registry"]
only_module = config.attributes.get("autogenerate_module")


def include_object(obj, name, type_, reflected, compare_to):
    """Autogenerate compares one module's tables only, so a revision never touches another
    module's (or core's) schema."""
    if only_module is None or type_ != "table":
        return True
    return registry.table_owner(name) == only_module


context.configure(
    connection=connection,
    target_metadata=db.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    include_object=include_object,
    compare_type=True,
    transactional_ddl=True,  # core.db makes SQLite's DDL transactional too
)
with context.begin_transaction():
    context.run_migrations()

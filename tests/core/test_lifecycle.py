"""The module lifecycle on a real database (SQLite, and PostgreSQL when configured)."""
from __future__ import annotations

import textwrap
import uuid

import pytest
import sqlalchemy as sa

from core.db import db
from core.modules import get_registry, lifecycle

from ..conftest import init_db, make_app


def tables(app) -> set[str]:
    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names())


def test_enable_takes_dependencies_and_auto_install_modules(registry):
    plan = lifecycle.plan_enable(registry, ["fx_loans"])
    assert plan.modules == ["fx_library", "fx_loans", "fx_bridge"]
    assert plan.extra == ["fx_library", "fx_bridge"]
    lifecycle.enable(registry, ["fx_loans"])
    assert registry.enabled == {"fx_library", "fx_loans", "fx_bridge"}


def test_disable_takes_dependents_in_reverse_order(registry):
    lifecycle.enable(registry, ["fx_loans"])
    plan = lifecycle.plan_disable(registry, ["fx_library"])
    assert plan.modules == ["fx_bridge", "fx_loans", "fx_library"]
    lifecycle.disable(registry, ["fx_library"])
    assert registry.enabled == frozenset()
    assert registry.state("fx_loans") == "disabled"


def test_auto_install_waits_for_all_its_dependencies(registry):
    lifecycle.enable(registry, ["fx_library"])
    assert "fx_bridge" not in registry.enabled
    assert lifecycle.plan_enable(registry, ["fx_loans"]).modules == ["fx_loans", "fx_bridge"]


def test_unknown_module_is_refused(registry):
    with pytest.raises(lifecycle.LifecycleError, match="unknown module: nope"):
        lifecycle.plan_enable(registry, ["nope"])


def test_data_survives_disable_and_enable(app, registry):
    from tests.fixture_modules.fx_library.models import Book

    lifecycle.enable(registry, ["fx_library"])
    assert {"fx_book"} <= tables(app)
    db.session.add(Book(title="Kept"))
    db.session.commit()
    lifecycle.disable(registry, ["fx_library"])
    assert "fx_book" in tables(app)  # disabling never drops anything
    lifecycle.enable(registry, ["fx_library"])
    titles = db.session.execute(sa.select(Book.title).order_by(Book.title)).scalars().all()
    assert titles == ["Kept", "The Art of Selling"]  # the second from the on_enable hook, once


def test_purge_drops_only_that_modules_tables_after_its_dependents(app, registry):
    lifecycle.enable(registry, ["fx_loans"])
    with pytest.raises(lifecycle.LifecycleError, match="fx_loans, fx_bridge depend on it"):
        lifecycle.uninstall(registry, ["fx_library"])
    assert {"fx_book", "fx_loan"} <= tables(app)
    lifecycle.uninstall(registry, ["fx_bridge", "fx_loans"])
    assert "fx_loan" not in tables(app)
    assert "fx_book" in tables(app)
    assert registry.state("fx_loans") == "uninstalled"
    lifecycle.uninstall(registry, ["fx_library"])
    assert not {"fx_book", "fx_loan"} & tables(app)
    assert {"core_user", "core_module"} <= tables(app)
    # and it can come back, empty but for its default data
    lifecycle.enable(registry, ["fx_loans"])
    assert {"fx_book", "fx_loan"} <= tables(app)


def test_enabling_works_on_a_database_that_holds_other_modules_data(app, registry):
    from tests.fixture_modules.fx_library.models import Book
    from tests.fixture_modules.fx_loans.models import Loan

    lifecycle.enable(registry, ["fx_library"])
    book = Book(title="Existing")
    db.session.add(book)
    db.session.commit()
    lifecycle.enable(registry, ["fx_loans"])
    db.session.add(Loan(book_id=book.id, borrower="Lan"))
    db.session.commit()
    assert db.session.execute(sa.select(sa.func.count(Loan.id))).scalar() == 1


MIGRATION = '''\
import sqlalchemy as sa
from alembic import op

revision = {rev!r}
down_revision = {down!r}
branch_labels = {labels!r}
depends_on = None


def upgrade():
{upgrade}


def downgrade():
{downgrade}
'''


@pytest.fixture
def scratch_module(tmp_path, monkeypatch):
    """A module written into a temporary package, with migrations but no ORM models."""
    pkg = f"scratch_{uuid.uuid4().hex[:8]}"
    name = f"sc_{uuid.uuid4().hex[:6]}"
    folder = tmp_path / pkg / name
    versions = folder / "migrations" / "versions"
    versions.mkdir(parents=True)
    (tmp_path / pkg / "__init__.py").write_text("")
    (folder / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(version, migrations):
        (folder / "manifest.toml").write_text(textwrap.dedent(f"""\
            name = "{name}"
            title = "Scratch"
            version = "{version}"
            summary = "Scratch module"
            """))
        for i, (up, down) in enumerate(migrations, start=1):
            (versions / f"{i:04d}.py").write_text(MIGRATION.format(
                rev=f"{name}_{i:04d}", down=f"{name}_{i - 1:04d}" if i > 1 else None,
                labels=(name,) if i == 1 else None,
                upgrade=textwrap.indent(up, "    "), downgrade=textwrap.indent(down, "    ")))

    return pkg, name, write


CREATE = ("op.create_table(TABLE, sa.Column('id', sa.Integer, primary_key=True))",
          "op.drop_table(TABLE)")


def test_a_failing_migration_rolls_back_whole(db_url, scratch_module):
    pkg, name, write = scratch_module
    table = f"{name}_thing"
    create = tuple(s.replace("TABLE", repr(table)) for s in CREATE)
    write("1.0.0", [create, ("raise RuntimeError('broken migration')", "pass")])
    app = make_app(db_url, ERP_MODULE_PACKAGES=["tests.fixture_modules", pkg])
    init_db(app)
    with app.app_context():
        registry = get_registry()
        with pytest.raises(RuntimeError, match="broken migration"):
            lifecycle.enable(registry, [name, "fx_library"])
        assert registry.state(name) == "available"
        assert registry.state("fx_library") == "available"
    assert table not in tables(app)
    assert "fx_book" not in tables(app)


def test_upgrade_runs_newer_migrations_and_records_the_version(db_url, scratch_module):
    pkg, name, write = scratch_module
    table = f"{name}_thing"
    create = tuple(s.replace("TABLE", repr(table)) for s in CREATE)
    add_column = (f"op.add_column({table!r}, sa.Column('note', sa.String(50)))",
                  f"with op.batch_alter_table({table!r}) as b:\n    b.drop_column('note')")
    write("1.0.0", [create])
    config = {"ERP_MODULE_PACKAGES": ["tests.fixture_modules", pkg]}
    app = make_app(db_url, **config)
    init_db(app)
    with app.app_context():
        lifecycle.enable(get_registry(), [name])
        assert get_registry().installed_version(name) == "1.0.0"
        db.engine.dispose()
    # a new release of the module arrives: newer manifest and one more migration
    write("1.1.0", [create, add_column])
    app2 = make_app(db_url, **config)
    with app2.app_context():
        registry = get_registry()
        registry.sync()
        assert lifecycle.plan_upgrade(registry).modules == [name]
        lifecycle.upgrade(registry)
        assert registry.installed_version(name) == "1.1.0"
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns(table)}
        assert columns == {"id", "note"}
        lifecycle.uninstall(registry, [name])
        assert table not in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()

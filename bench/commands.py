"""`flask --app wsgi bench ...`: the benchmark runner. It lists and runs the workloads that
modules register with `module.bench(name, workload)` beside core's own (`lists`, the
contacts list), and offers them a small toolkit: an app on a SQLite file of its own, a
partner generator, timings and query counts. It imports no business module; workloads
print their figures."""
from __future__ import annotations

import copy
import importlib
import random
import statistics
import time
from pathlib import Path

import click
import sqlalchemy as sa
from sqlalchemy import event

from bench.cost import bench_cost
from bench.fuzz import bench_fuzz
from bench.imports import bench_import
from bench.load import bench_load

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "王", "李", "张", "刘", "陈", "Smith", "Brown"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hà", "伟", "芳", "娜", "敏", "静", "Anna", "James"]
CITIES = ["Hà Nội", "TP. Hồ Chí Minh", "Đà Nẵng", "上海", "北京", "深圳", "Singapore", "London"]
KINDS = ["customer", "prospect", "supplier", "partner"]


# -- the runner ----------------------------------------------------------------------------
class BenchGroup(click.Group):
    """`bench`: core's workloads, then those of the modules (`module.bench`), each a click
    command. A module's workload is imported only when the runner lists or runs it, so it
    may use this toolkit, which installed packages do not ship."""

    def __init__(self, registry):
        super().__init__("bench", help="Benchmarks and data generators; they print figures "
                                       "(modules add theirs with module.bench).")
        self.add_command(bench_lists)
        self.add_command(bench_cost)
        self.add_command(bench_load)
        self.add_command(bench_fuzz)
        self.add_command(bench_import)
        self.registry = registry

    def workloads(self) -> dict[str, tuple[str, object]]:
        """name -> (module, workload) of the modules that loaded; core's names come first."""
        return {name: found for name, found in sorted(self.registry.workloads.items())
                if found[0] in self.registry.manifests and name not in self.commands}

    def list_commands(self, ctx) -> list[str]:
        return [*self.commands, *self.workloads()]

    def get_command(self, ctx, name):
        if name in self.commands:
            return self.commands[name]
        found = self.workloads().get(name)
        if found is None:
            return None
        module, workload = found
        command = resolve(workload)
        # listed by `bench --help` as `seed  [sales] Sales data: ...`
        labelled = copy.copy(command)
        labelled.name = name
        labelled.short_help = f"[{module}] {command.get_short_help_str(limit=60)}"
        return labelled


def resolve(workload):
    """A workload as registered: a click command, or "package.module:attribute" naming one."""
    if not isinstance(workload, str):
        return workload
    path, _, attribute = workload.partition(":")
    return getattr(importlib.import_module(path), attribute)


def bench_group(registry) -> BenchGroup:
    """The `bench` group of an app: core's workloads and those its modules registered."""
    return BenchGroup(registry)


# -- the toolkit ---------------------------------------------------------------------------
# what every benchmark's app is given: the modules of this source tree, no CSRF tokens
BENCH_CONFIG = {"ERP_MODULE_ENTRY_POINTS": False, "WTF_CSRF_ENABLED": False}


def app_on(db_path: Path, **config):
    """An app of its own on the SQLite file `db_path` (made if missing), with `config`."""
    from core import create_app

    # absolute: Flask-SQLAlchemy would take a relative SQLite path from instance/
    db_path = db_path.resolve()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", **BENCH_CONFIG,
                       **config})


def seed_partners(app, rows: int) -> None:
    """Core's tables, the `bench` administrator (password "bench") and `rows` partners in
    all (those already there count)."""
    from core.auth.models import User
    from core.db import db
    from core.modules import get_registry, lifecycle
    from core.partners.models import Partner
    from core.search import create_index, drop_index

    with app.app_context():
        lifecycle.install_core(get_registry())
        if db.session.execute(sa.select(User.id).where(User.login == "bench")).first() is None:
            user = User(login="bench", name="Bench")
            user.set_password("bench")
            user.set_groups({"core.admin", "core.user"})
            db.session.add(user)
            db.session.commit()
        have = db.session.execute(sa.select(sa.func.count(Partner.id))).scalar()
        rng = random.Random(7)
        table = Partner.__table__
        now = sa.func.current_timestamp()
        if have >= rows:
            return
        # the search index's triggers would flush it once per row: built again after, in
        # the same transaction
        drop_index(db.session.connection(), table.name)
        batch = []
        for i in range(have, rows):
            name = f"{rng.choice(FAMILY)} {rng.choice(GIVEN)} {i:07d}"
            batch.append({"name": name, "kind": rng.choice(KINDS), "is_company": i % 3 == 0,
                          "city": rng.choice(CITIES), "email": f"p{i}@example.com",
                          "active": True})
            if len(batch) == 20_000:
                db.session.execute(table.insert().values(created_at=now, updated_at=now), batch)
                batch = []
        if batch:
            db.session.execute(table.insert().values(created_at=now, updated_at=now), batch)
        create_index(db.session.connection(), table.name, Partner.__search__)
        db.session.commit()


def median_ms(func, repeat: int) -> float:
    """The median time of `repeat` calls of `func`, in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def count_queries(engine, func) -> int:
    """How many SQL statements `func()` sends through `engine`."""
    seen = []

    def listener(*_args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        func()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


# -- core's workload -----------------------------------------------------------------------
@click.command("lists")
@click.option("--rows", default=1_000_000, show_default=True, help="Partners to generate.")
@click.option("--db", "db_path", default="instance/bench-lists.sqlite3", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path))
@click.option("--repeat", default=15, show_default=True)
def bench_lists(rows, db_path, repeat):
    """The contacts list on SQLite: first page, a page deep in the list (keyset), a
    group-by, against raw SQL, with the number of queries per page."""
    from core.db import db
    from core.partners.models import Partner

    start = time.perf_counter()
    app = app_on(db_path)
    seed_partners(app, rows)
    click.echo(f"data: {rows:,} partners in {db_path} ({time.perf_counter() - start:.1f} s)")
    client = app.test_client()
    client.post("/login", data={"login": "bench", "password": "bench"})
    with app.app_context():
        deep_name = db.session.execute(sa.select(Partner.name).order_by(Partner.name, Partner.id)
                                       .offset(rows - 200).limit(1)).scalar()
        deep_id = db.session.execute(sa.select(Partner.id).where(Partner.name == deep_name)
                                     ).scalar()
        engine = db.engine
    from core.ui.generic.keyset import _cursor

    class Row:
        name, id = deep_name, deep_id

    deep = f"/contacts/partners?after={_cursor(Row, 'name')}"
    pages = {"first page": "/contacts/partners",
             f"page after row {rows - 200:,}": deep,
             "search 'Nguyễn An'": "/contacts/partners?q=Nguy%E1%BB%85n+An",
             "filter kind=customer": "/contacts/partners?f.kind=customer",
             "group by city": "/contacts/partners?group=city"}
    click.echo(f"{'page':<32}{'median ms':>10}{'queries':>9}")
    for label, url in pages.items():
        assert client.get(url).status_code == 200, url
        queries = count_queries(engine, lambda u=url: client.get(u))
        ms = median_ms(lambda u=url: client.get(u), repeat)
        click.echo(f"{label:<32}{ms:>10.1f}{queries:>9}")
    with app.app_context():
        raw = "SELECT * FROM partner WHERE (name, id) > (:n, :i) ORDER BY name, id LIMIT 51"
        offset = "SELECT * FROM partner ORDER BY name, id LIMIT 51 OFFSET :o"
        with engine.connect() as conn:
            seek = median_ms(lambda: conn.execute(sa.text(raw), {"n": deep_name, "i": deep_id})
                             .all(), repeat)
            off = median_ms(lambda: conn.execute(sa.text(offset), {"o": rows - 200}).all(),
                            max(3, repeat // 3))
    click.echo(f"raw SQL, same deep page by keyset: {seek:.1f} ms; by OFFSET: {off:.1f} ms")

"""`flask --app wsgi bench ...`: data generators and benchmarks that print figures."""
from __future__ import annotations

import random
import statistics
import time
from pathlib import Path

import click
import sqlalchemy as sa
from sqlalchemy import event

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "王", "李", "张", "刘", "陈", "Smith", "Brown"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hà", "伟", "芳", "娜", "敏", "静", "Anna", "James"]
CITIES = ["Hà Nội", "TP. Hồ Chí Minh", "Đà Nẵng", "上海", "北京", "深圳", "Singapore", "London"]
KINDS = ["customer", "prospect", "supplier", "partner"]


@click.group("bench")
def bench_group():
    """Benchmarks (they print figures; see bench/)."""


def _app(db_path: Path):
    from core import create_app

    # absolute: Flask-SQLAlchemy would take a relative SQLite path from instance/
    db_path = db_path.resolve()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
                       "ERP_MODULE_ENTRY_POINTS": False, "WTF_CSRF_ENABLED": False})


def seed_partners(app, rows: int) -> None:
    from core.auth.models import User
    from core.db import db
    from core.modules import get_registry, lifecycle
    from core.partners.models import Partner

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
        batch = []
        for i in range(have, rows):
            name = f"{rng.choice(FAMILY)} {rng.choice(GIVEN)} {i:07d}"
            batch.append({"name": name, "kind": rng.choice(KINDS), "is_company": i % 3 == 0,
                          "city": rng.choice(CITIES), "email": f"p{i}@example.com",
                          "active": True})
            if len(batch) == 20_000:
                db.session.execute(table.insert().values(created_at=now, updated_at=now), batch)
                db.session.commit()
                batch = []
        if batch:
            db.session.execute(table.insert().values(created_at=now, updated_at=now), batch)
            db.session.commit()


def _median_ms(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


@bench_group.command("lists")
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
    app = _app(db_path)
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
        count = []

        def listener(*_args, seen=count):
            seen.append(1)

        event.listen(engine, "before_cursor_execute", listener)
        client.get(url)
        event.remove(engine, "before_cursor_execute", listener)
        ms = _median_ms(lambda u=url: client.get(u), repeat)
        click.echo(f"{label:<32}{ms:>10.1f}{len(count):>9}")
    with app.app_context():
        raw = "SELECT * FROM partner WHERE (name, id) > (:n, :i) ORDER BY name, id LIMIT 51"
        offset = "SELECT * FROM partner ORDER BY name, id LIMIT 51 OFFSET :o"
        with engine.connect() as conn:
            seek = _median_ms(lambda: conn.execute(sa.text(raw), {"n": deep_name, "i": deep_id})
                              .all(), repeat)
            off = _median_ms(lambda: conn.execute(sa.text(offset), {"o": rows - 200}).all(),
                             max(3, repeat // 3))
    click.echo(f"raw SQL, same deep page by keyset: {seek:.1f} ms; by OFFSET: {off:.1f} ms")


from . import sales  # noqa: E402, F401  (registers `bench seed` and `bench run`)

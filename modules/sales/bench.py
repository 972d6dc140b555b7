"""Sales' workloads for the benchmark runner (registered in `register()` with
`module.bench`): `flask --app wsgi bench seed|run`, on SQLite files of their own. `seed`
generates orders, lines and opportunities; `run` prints the busiest pages' times and query
counts, and times the service layer against Tryton's published figures. Imported only by
the runner (bench/, in a source tree), whose toolkit it uses."""
from __future__ import annotations

import random
import statistics
import time
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import click
import sqlalchemy as sa

from bench.commands import app_on, count_queries, median_ms, seed_partners

DB = "instance/bench-sales.sqlite3"
SERVICE_DB = "instance/bench-sales-service.sqlite3"
BATCH = 20_000
CENT, HUNDRED = Decimal("0.01"), Decimal(100)
# salespeople (group sales.user, so record rules apply) owning 20 and 500 orders and open
# opportunities: the same pages for both must run the same number of queries
SMALL, LARGE = ("bench20", 20), ("bench500", 500)
# Tryton 8.0's benchmark, seconds: 2,000 parties; 500 sales of 3 lines; confirming them
TRYTON = {"create 2,000 partners": 37, "create 500 orders x 3 lines": 14, "confirm 500": 80}
CATEGORIES = ["Hardware", "Software", "Services", "Office", "Logistics", "Training"]
TAX_RATES = [Decimal(0), Decimal(5), Decimal(8), Decimal(10), Decimal(10)]
# mostly sold, some quotations still open or cancelled
STATES = ["done"] * 50 + ["confirmed"] * 35 + ["draft"] * 5 + ["sent"] * 5 + ["cancelled"] * 5


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _user(login: str, groups: set[str]) -> int:
    from core.auth.models import User
    from core.db import db

    found = db.session.execute(sa.select(User.id).where(User.login == login)).scalar()
    if found is None:
        user = User(login=login, name=login.title())
        user.set_password("bench")
        user.set_groups(groups)
        db.session.add(user)
        db.session.commit()
        found = user.id
    return found


def _enable_sales(*others: str) -> None:
    from core.modules import get_registry, lifecycle

    registry = get_registry()
    registry.sync()
    wanted = [name for name in ("sales", *others) if not registry.is_enabled(name)]
    if wanted:
        lifecycle.enable(registry, wanted)  # sales' on_enable hook adds the default stages


def _insert(table, rows: list[dict]) -> None:
    from core.db import db

    if rows:
        db.session.execute(table.insert(), rows)  # executemany, no ORM
        db.session.commit()


def _products(rng: random.Random, count: int = 200) -> None:
    from core.db import db
    from modules.sales.models import Product

    if db.session.execute(sa.select(sa.func.count(Product.id))).scalar():
        return
    now = datetime.now()
    rows = []
    for i in range(count):
        price = _money(Decimal(rng.randint(500, 500_000)) / 100)
        rows.append({"name": f"{rng.choice(CATEGORIES)} item {i:03d}", "code": f"P{i:04d}",
                     "category": rng.choice(CATEGORIES), "unit": "unit", "list_price": price,
                     "cost": _money(price * Decimal(rng.randint(40, 80)) / HUNDRED),
                     "tax_rate": rng.choice(TAX_RATES), "active": True,
                     "created_at": now, "updated_at": now})
    _insert(Product.__table__, rows)


def _owners(rng: random.Random, count: int, users: dict[str, int]) -> list[int]:
    """The bench user's, but for SMALL[1] and LARGE[1] records at random (no overlap)."""
    owner = [users["bench"]] * count
    picked = rng.sample(range(count), SMALL[1] + LARGE[1])
    for i in picked[:SMALL[1]]:
        owner[i] = users[SMALL[0]]
    for i in picked[SMALL[1]:]:
        owner[i] = users[LARGE[0]]
    return owner


def _seed_orders(rng: random.Random, count: int, users: dict[str, int]) -> None:
    from core.db import db
    from core.partners.models import Partner
    from core.sequences import Sequence
    from modules.sales.models import Order, OrderLine, Product

    partner_ids = db.session.execute(sa.select(Partner.id)).scalars().all()
    products = db.session.execute(sa.select(Product.id, Product.name, Product.list_price,
                                            Product.cost, Product.tax_rate)).all()
    today = date.today()
    # dates sorted first so ids and numbers rise with the date, as they would in real life
    days = sorted(today - timedelta(days=rng.randrange(730)) for _ in range(count))
    owner = _owners(rng, count, users)
    order_id = (db.session.execute(sa.select(sa.func.max(Order.id))).scalar() or 0) + 1
    numbers: dict[int, int] = {}
    orders, lines = [], []
    start = time.perf_counter()
    for i, day in enumerate(days):
        numbers[day.year] = numbers.get(day.year, 0) + 1
        state = rng.choice(STATES)
        stamp = datetime.combine(day, datetime.min.time()) + timedelta(
            seconds=rng.randrange(8 * 3600, 18 * 3600))
        untaxed = tax = Decimal(0)
        for seq in range(1, rng.randint(1, 9) + 1):  # 5 lines on average
            pid, name, price, cost, rate = rng.choice(products)
            qty = Decimal(rng.choice((1, 1, 2, 3, 5, 10, 12, 20)))
            discount = rng.choice((Decimal(0), Decimal(0), Decimal(0), Decimal(5), Decimal(10)))
            line_untaxed = _money(qty * price * (HUNDRED - discount) / HUNDRED)
            line_tax = _money(line_untaxed * rate / HUNDRED)
            untaxed, tax = untaxed + line_untaxed, tax + line_tax
            lines.append({"order_id": order_id, "sequence": seq * 10, "product_id": pid,
                          "description": name, "quantity": qty, "price_unit": price,
                          "discount": discount, "tax_rate": rate, "cost": cost,
                          "amount_untaxed": line_untaxed, "amount_tax": line_tax,
                          "created_at": stamp, "updated_at": stamp})
        orders.append({
            "id": order_id, "name": f"SO{day.year}-{numbers[day.year]:05d}",
            "partner_id": rng.choice(partner_ids), "user_id": owner[i], "date_order": day,
            "validity_date": day + timedelta(days=30), "state": state,
            "confirmed_at": stamp if state in ("confirmed", "done") else None,
            "amount_untaxed": untaxed, "amount_tax": tax, "amount_total": untaxed + tax,
            "created_at": stamp, "updated_at": stamp, "created_by_id": owner[i]})
        order_id += 1
        if len(lines) >= BATCH:  # orders first: the lines' foreign key needs them
            _insert(Order.__table__, orders)
            _insert(OrderLine.__table__, lines)
            orders, lines = [], []
            click.echo(f"  {i + 1:,} orders ({time.perf_counter() - start:.0f} s)")
    _insert(Order.__table__, orders)
    _insert(OrderLine.__table__, lines)
    # the numbering goes on from here for orders made through the app
    for year, value in numbers.items():
        db.session.merge(Sequence(key=f"SO{year}", value=value))
    db.session.commit()


def _seed_leads(rng: random.Random, count: int, users: dict[str, int]) -> None:
    from core.db import db
    from core.partners.models import Partner
    from modules.sales.models import Lead, Stage

    partner_ids = db.session.execute(sa.select(Partner.id)).scalars().all()
    stages = db.session.execute(sa.select(Stage.id, Stage.probability, Stage.is_won,
                                          Stage.is_lost).order_by(Stage.sequence)).all()
    open_stages = [s for s in stages if not s.is_won and not s.is_lost]
    won = next(s for s in stages if s.is_won)
    lost = next(s for s in stages if s.is_lost)
    today, now = date.today(), datetime.now()
    # the small and large salespeople's: in the first half, where all are open
    owner = _owners(rng, count // 2, users) + [users["bench"]] * (count - count // 2)
    rows = []
    for i in range(count):
        roll = rng.random()
        if i >= count // 2 and roll < 0.1:  # plain leads, half of them in the pool
            rows.append({"name": f"Enquiry {i:06d}", "type": "lead", "status": "new",
                         "contact_name": f"Contact {i}", "company_name": f"Company {i}",
                         "user_id": owner[i] if i % 2 else None, "stage_id": None,
                         "outcome": "open", "probability": Decimal(10),
                         "expected_revenue": Decimal(0), "expected_close": None,
                         "partner_id": None, "closed_at": None})
        else:
            if i < count // 2 or roll < 0.85:
                stage, outcome, close = rng.choice(open_stages), "open", \
                    today + timedelta(days=rng.randrange(183))
            else:
                stage, outcome = (won, "won") if roll < 0.93 else (lost, "lost")
                close = today - timedelta(days=rng.randrange(365))
            rows.append({"name": f"Deal {i:06d}", "type": "opportunity", "status": "converted",
                         "contact_name": None, "company_name": None, "user_id": owner[i],
                         "stage_id": stage.id, "outcome": outcome,
                         "probability": stage.probability,
                         "expected_revenue": _money(Decimal(rng.randint(50_000, 5_000_000))
                                                    / 100),
                         "expected_close": close, "partner_id": rng.choice(partner_ids),
                         "closed_at": None if outcome == "open" else datetime.combine(
                             close, datetime.min.time())})
        rows[-1].update(priority=rng.choice((0, 0, 1, 2, 3)), last_touched_at=now,
                        created_at=now - timedelta(minutes=count - i), updated_at=now)
    for start in range(0, count, BATCH):
        _insert(Lead.__table__, rows[start:start + BATCH])


# the salespeople owning 20 and 500 records need that many of each to own
AT_LEAST = SMALL[1] + LARGE[1]


@click.command("seed")
@click.option("--orders", "n_orders", default=200_000, show_default=True,
              type=click.IntRange(min=AT_LEAST))
@click.option("--partners", default=100_000, show_default=True, type=click.IntRange(min=1))
@click.option("--leads", "n_leads", default=50_000, show_default=True,
              type=click.IntRange(min=AT_LEAST))
@click.option("--db", "db_path", default=DB, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path))
def bench_seed(n_orders, partners, n_leads, db_path):
    """Sales data: partners, products, orders with ~5 lines each, opportunities. Orders
    and leads go only into empty tables (delete the file to start again)."""
    from core.db import db
    from modules.sales.models import Lead, Order

    start = time.perf_counter()
    app = app_on(db_path)
    seed_partners(app, partners)  # also core's tables and the bench user
    click.echo(f"partners: {partners:,} (done at {time.perf_counter() - start:.1f} s)")
    rng = random.Random(11)
    with app.app_context():
        _enable_sales()
        users = {"bench": _user("bench", {"core.admin", "core.user"})}
        users.update({login: _user(login, {"sales.user"}) for login, _n in (SMALL, LARGE)})
        _products(rng)
        if db.session.execute(sa.select(sa.func.count(Order.id))).scalar():
            click.echo("orders: already there, kept")
        else:
            _seed_orders(rng, n_orders, users)
            click.echo(f"orders: {n_orders:,} (done at {time.perf_counter() - start:.1f} s)")
        if db.session.execute(sa.select(sa.func.count(Lead.id))).scalar():
            click.echo("leads: already there, kept")
        else:
            _seed_leads(rng, n_leads, users)
        counts = {t: db.session.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
                  for t in ("partner", "product", "sale_order", "sale_order_line", "sale_lead")}
    click.echo(", ".join(f"{t}: {n:,}" for t, n in counts.items()))
    click.echo(f"seeded {db_path} in {time.perf_counter() - start:.1f} s")


def _client(app, login: str):
    client = app.test_client()
    assert client.post("/login", data={"login": login, "password": "bench"}).status_code == 302
    return client


def _pages(app, repeat: int) -> None:
    from core.db import db

    with app.app_context():
        engine = db.engine
    clients = {login: _client(app, login) for login in ("bench", SMALL[0], LARGE[0])}
    pages = {"order list": "/sales/orders", "pipeline board": "/sales/opportunities/board",
             "forecast": "/sales/forecast"}
    click.echo(f"{'page (as bench, all records)':<32}{'median ms':>10}{'queries':>9}"
               f"{'q@20':>6}{'q@500':>7}")
    times = {}
    for label, url in pages.items():
        counts = []
        for client in clients.values():
            response = client.get(url)  # warm-up, and the page must work
            assert response.status_code == 200, (url, response.status_code)
            counts.append(count_queries(engine, lambda c=client, u=url: c.get(u)))
        times[label] = median_ms(lambda u=url: clients["bench"].get(u), repeat)
        click.echo(f"{label:<32}{times[label]:>10.1f}{counts[0]:>9}{counts[1]:>6}{counts[2]:>7}")
    click.echo("q@20 / q@500: the same page for a salesperson owning 20 / 500 orders and open "
               "opportunities\n(the list shows 20 / 50 rows, its page size; the board 20 / "
               "up to 40 cards a stage).")
    # the SELECT the order list needs, written by hand: first page, newest first
    raw = ("SELECT o.*, p.name, u.name FROM sale_order o JOIN partner p ON p.id = o.partner_id"
           " LEFT JOIN core_user u ON u.id = o.user_id"
           " ORDER BY o.date_order DESC, o.id DESC LIMIT 51")
    with engine.connect() as conn:
        raw_ms = median_ms(lambda: conn.execute(sa.text(raw)).all(), repeat)
    click.echo(f"raw SQL, order list first page: {raw_ms:.2f} ms; page/raw = "
               f"{times['order list'] / raw_ms:.0f}x")


def _service_run(db_path: Path) -> dict[str, float]:
    """Through modules.sales.services, committing after every operation as a request
    would (one partner, one order, one confirmation per transaction)."""
    from flask_login import login_user

    from core.auth.models import User
    from core.db import db
    from core.modules import get_registry
    from core.partners.models import Partner
    from modules.sales import services
    from modules.sales.models import Order, Product

    for suffix in ("", "-wal", "-shm"):  # a fresh file each time
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    app = app_on(db_path)
    seed_partners(app, 0)  # core's tables and the bench user
    rng = random.Random(5)
    with app.test_request_context():
        _enable_sales("billing")  # confirming makes the invoices
        _products(rng, 50)
        user = db.session.execute(sa.select(User).where(User.login == "bench")).scalar_one()
        login_user(user)
        user_id = user.id  # read once: after each commit the object would reload
        product_ids = db.session.execute(sa.select(Product.id)).scalars().all()
        figures = {}

        start = time.perf_counter()
        partner_ids = []
        for i in range(2000):
            partner = Partner(name=f"Customer {i:04d}", kind="prospect", is_company=True,
                              email=f"c{i}@example.com", city="Hà Nội")
            db.session.add(partner)
            db.session.commit()
            partner_ids.append(partner.id)
        figures["create 2,000 partners"] = time.perf_counter() - start

        start = time.perf_counter()
        order_ids = []
        for i in range(500):
            lines = [{"product_id": rng.choice(product_ids), "quantity": rng.randint(1, 10)}
                     for _ in range(3)]
            order = services.create_order(partner_ids[i], lines=lines, user_id=user_id)
            db.session.commit()
            order_ids.append(order.id)
        figures["create 500 orders x 3 lines"] = time.perf_counter() - start

        start = time.perf_counter()
        for order_id in order_ids:
            services.confirm(db.session.get(Order, order_id))
            db.session.commit()
        figures["confirm 500"] = time.perf_counter() - start
        confirmed = db.session.execute(sa.select(sa.func.count(Order.id)).where(
            Order.state == "confirmed")).scalar()
        assert confirmed == 500, confirmed
        # billing's invoices, by model name: sales does not depend on billing
        invoice = get_registry().models["billing.invoice"]
        invoiced = db.session.execute(sa.select(sa.func.count(invoice.id))).scalar()
        assert invoiced == 500, invoiced
    return figures


def _service_workload(db_path: Path, runs: int) -> None:
    """The workload `runs` times, each on a fresh file: the median of each step, and the
    range, since a shared machine's CPU varies from run to run."""
    results = [_service_run(db_path) for _ in range(runs)]
    click.echo(f"\nservice workload on a fresh {db_path}, sales and billing enabled (each "
               f"confirmation makes its invoice), one commit per operation; median of {runs} "
               "runs:")
    click.echo(f"{'step':<30}{'ours s':>8}{'range':>14}{'Tryton s':>10}{'ours/Tryton':>13}")
    for label in TRYTON:
        seconds = sorted(r[label] for r in results)
        median = statistics.median(seconds)
        spread = f"{seconds[0]:.2f}-{seconds[-1]:.2f}"
        click.echo(f"{label:<30}{median:>8.2f}{spread:>14}{TRYTON[label]:>10}"
                   f"{median / TRYTON[label]:>13.3f}")


@click.command("run")
@click.option("--db", "db_path", default=DB, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path))
@click.option("--repeat", default=15, show_default=True)
@click.option("--service-runs", default=3, show_default=True)
@click.option("--service-db", default=SERVICE_DB, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path))
def bench_run(db_path, repeat, service_runs, service_db):
    """Sales pages on the `seed` data (time, queries, against raw SQL), then the service
    layer on a fresh file against Tryton's figures."""
    if not db_path.exists():
        raise click.ClickException(f"{db_path} does not exist: run `bench seed` first")
    _pages(app_on(db_path), repeat)
    _service_workload(service_db, service_runs)

"""Sales' benchmark data (`flask --app wsgi bench seed`, registered with `module.bench`),
on a SQLite file of its own or a PostgreSQL database (`--db URL`): partners, products,
orders with their lines, opportunities, and what billing and credit limits make of them
(invoices, payments, limits), in set-based SQL (COPY on PostgreSQL). bench.py times the
pages on it. Imported only by the runner (bench/, in a source tree), whose toolkit it
uses."""
from __future__ import annotations

import random
import time
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import click
import sqlalchemy as sa

from bench.commands import seed_partners
from bench.sql import app_for, copy_rows, describe, follow_ids

DB = "instance/bench-sales.sqlite3"
BATCH = 20_000
CENT, HUNDRED = Decimal("0.01"), Decimal(100)
# salespeople (group sales.user, so record rules apply) owning 20 and 500 orders and open
# opportunities: the same pages for both must run the same number of queries
SMALL, LARGE = ("bench20", 20), ("bench500", 500)
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
    """COPY on PostgreSQL, executemany (no ORM) on SQLite; committed."""
    from core.db import db

    if rows and not copy_rows(db.session, table, rows):
        db.session.execute(table.insert(), rows)
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


def _seed_billing(today: date) -> None:
    """What billing and credit limits make of the orders, in set-based SQL (seconds, on
    either database): an invoice of every confirmed order (posted, paid for the done
    ones, a tenth still in draft, a quarter of the posted half paid), its lines, due dates,
    payments settling them, some customers' unallocated credit, credit limits on one
    customer in 50; the salespeople SMALL and LARGE look after their orders' customers
    (billing shows them those customers' invoices)."""
    from core.db import db
    from core.documents import Money
    from core.partners.models import Partner
    from core.sequences import Sequence
    from modules.billing.models import (
        Invoice,
        InvoiceDue,
        InvoiceLine,
        Payment,
        PaymentAllocation,
        PaymentTerm,
    )
    from modules.credit_limit.models import PartnerCredit
    from modules.sales.models import Order, OrderLine

    o, ol, inv = Order.__table__, OrderLine.__table__, Invoice.__table__
    pay, partner = Payment.__table__, Partner.__table__
    now = datetime.now()
    term = db.session.execute(sa.select(PaymentTerm.id).where(PaymentTerm.schedule == "100@30")
                              ).scalar()
    draft = sa.and_(o.c.state == "confirmed", o.c.id % 10 == 0)
    paid = sa.case((o.c.state == "done", o.c.amount_total),
                   (sa.and_(sa.not_(draft), o.c.id % 4 == 0),
                    sa.func.round(o.c.amount_total / 2, 2)), else_=0)
    stamp = sa.func.coalesce(o.c.confirmed_at, o.c.created_at)
    invoices = {
        "name": sa.case((draft, sa.null()),
                        else_=sa.literal("INV", sa.String).concat(sa.func.substr(o.c.name, 3))),
        "kind": sa.literal("invoice"), "partner_id": o.c.partner_id, "order_id": o.c.id,
        "origin": o.c.name, "payment_term_id": sa.literal(term, sa.Integer),
        "date_invoice": o.c.date_order,
        "date_due": sa.case((draft, sa.null()), else_=o.c.validity_date),
        "state": sa.case((o.c.state == "done", "paid"), (draft, "draft"), else_="posted"),
        "amount_untaxed": o.c.amount_untaxed, "amount_tax": o.c.amount_tax,
        "amount_total": o.c.amount_total, "amount_paid": paid,
        "amount_residual": o.c.amount_total - paid, "created_at": stamp, "updated_at": stamp,
        "created_by_id": o.c.created_by_id}
    db.session.execute(inv.insert().from_select(list(invoices), sa.select(
        *invoices.values()).where(o.c.state.in_(("confirmed", "done"))).order_by(o.c.id)))
    lines = {"invoice_id": inv.c.id, "product_id": ol.c.product_id, "order_line_id": ol.c.id,
             **{name: ol.c[name] for name in (
                 "sequence", "display_type", "description", "quantity", "price_unit",
                 "discount", "tax_rate", "amount_untaxed", "amount_tax", "created_at",
                 "updated_at")}}
    db.session.execute(InvoiceLine.__table__.insert().from_select(list(lines), sa.select(
        *lines.values()).join_from(ol, inv, inv.c.order_id == ol.c.order_id)
        .order_by(ol.c.id)))
    posted = inv.c.state.in_(("posted", "paid"))
    dues = {"invoice_id": inv.c.id, "date_due": inv.c.date_due, "amount": inv.c.amount_total,
            "created_at": inv.c.created_at, "updated_at": inv.c.updated_at}
    db.session.execute(InvoiceDue.__table__.insert().from_select(
        list(dues), sa.select(*dues.values()).where(posted).order_by(inv.c.id)))
    payments = {"partner_id": inv.c.partner_id, "date": inv.c.date_invoice,
                "amount": inv.c.amount_paid,
                "method": sa.case((inv.c.id % 3 == 0, "cash"), (inv.c.id % 3 == 1, "card"),
                                  else_="bank"),
                "reference": inv.c.name, "unallocated": sa.literal(0),
                "created_at": inv.c.updated_at, "updated_at": inv.c.updated_at}
    db.session.execute(pay.insert().from_select(list(payments), sa.select(
        *payments.values()).where(inv.c.amount_paid > 0).order_by(inv.c.id)))
    allocations = {"payment_id": pay.c.id, "invoice_id": inv.c.id, "amount": pay.c.amount,
                   "created_at": pay.c.created_at, "updated_at": pay.c.updated_at}
    db.session.execute(PaymentAllocation.__table__.insert().from_select(
        list(allocations), sa.select(*allocations.values()).join_from(
            pay, inv, inv.c.name == pay.c.reference).order_by(pay.c.id)))
    # a customer in 97 paid in advance: a credit not allocated to any invoice
    credit = {"partner_id": partner.c.id, "date": sa.literal(today, sa.Date),
              "amount": sa.literal(Decimal(500), Money), "method": sa.literal("bank"),
              "unallocated": sa.literal(Decimal(500), Money),
              "created_at": sa.literal(now, sa.DateTime),
              "updated_at": sa.literal(now, sa.DateTime)}
    db.session.execute(pay.insert().from_select(list(credit), sa.select(
        *credit.values()).where(partner.c.id % 97 == 0).order_by(partner.c.id)))
    limits = {"partner_id": partner.c.id,
              "credit_limit": sa.cast((partner.c.id % 7 + 1) * 2000, Money),
              "mode": sa.case((partner.c.id % 2 == 0, "warn"), else_="block"),
              "created_at": sa.literal(now, sa.DateTime),
              "updated_at": sa.literal(now, sa.DateTime)}
    db.session.execute(PartnerCredit.__table__.insert().from_select(list(limits), sa.select(
        *limits.values()).where(partner.c.id % 50 == 0).order_by(partner.c.id)))
    for login, _n in (SMALL, LARGE):
        user_id = sa.select(sa.literal_column("id")).select_from(sa.table("core_user")).where(
            sa.literal_column("login") == login).scalar_subquery()
        db.session.execute(partner.update().where(partner.c.id.in_(
            sa.select(o.c.partner_id).where(o.c.user_id == user_id))).values(
            salesperson_id=user_id))
    # posted invoices take their numbers from here on
    for key, value in db.session.execute(sa.select(Sequence.key, Sequence.value).where(
            Sequence.key.like("SO%"))).all():
        db.session.merge(Sequence(key="INV" + key[2:], value=value))
    db.session.commit()


# the salespeople owning 20 and 500 records need that many of each to own
AT_LEAST = SMALL[1] + LARGE[1]
TABLES = ("partner", "product", "sale_order", "sale_order_line", "sale_lead", "billing_invoice",
          "billing_invoice_line", "billing_payment", "partner_credit")


def _counts() -> dict[str, int]:
    from core.db import db

    return {t: db.session.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
            for t in TABLES}


@click.command("seed")
@click.option("--orders", "n_orders", default=200_000, show_default=True,
              type=click.IntRange(min=AT_LEAST))
@click.option("--partners", default=100_000, show_default=True, type=click.IntRange(min=1))
@click.option("--leads", "n_leads", default=50_000, show_default=True,
              type=click.IntRange(min=2 * AT_LEAST))  # theirs are in the first half
@click.option("--db", default=DB, show_default=True,
              help="A SQLite file, or a database URL (postgresql+psycopg://...).")
def bench_seed(n_orders, partners, n_leads, db):
    """Sales data: partners, products, orders with ~5 lines each, opportunities, their
    invoices, payments and credit limits (sales, billing and credit limits enabled).
    Orders and leads go only into empty tables (delete the file, or drop the database,
    to start again)."""
    from core import rollups
    from core.db import db as session_db
    from core.modules import get_registry
    from modules.sales.models import Lead, Order

    start = time.perf_counter()
    app = app_for(db)
    seed_partners(app, partners)  # also core's tables and the bench user
    click.echo(f"partners: {partners:,} (done at {time.perf_counter() - start:.1f} s)")
    rng = random.Random(11)
    with app.app_context():
        session = session_db.session
        _enable_sales("billing", "credit_limit")
        users = {"bench": _user("bench", {"core.admin", "core.user"})}
        users.update({login: _user(login, {"sales.user"}) for login, _n in (SMALL, LARGE)})
        _products(rng)
        if session.execute(sa.select(sa.func.count(Order.id))).scalar():
            click.echo("orders: already there, kept")
        else:
            with rollups.suspended(session):  # summed once, after
                _seed_orders(rng, n_orders, users)
                click.echo(f"orders: {n_orders:,} (done at "
                           f"{time.perf_counter() - start:.1f} s)")
                _seed_billing(date.today())
                click.echo(f"invoices, payments, credit limits (done at "
                           f"{time.perf_counter() - start:.1f} s)")
            session.execute(sa.text("ANALYZE"))  # the sums' queries need the planner's
            session.commit()                    # view of the new rows (PostgreSQL)
            for module in ("sales", "billing", "credit_limit"):
                rollups.rebuild_module(session.connection(), get_registry(), module)
            session.commit()
            click.echo(f"summed (done at {time.perf_counter() - start:.1f} s)")
        if session.execute(sa.select(sa.func.count(Lead.id))).scalar():
            click.echo("leads: already there, kept")
        else:
            _seed_leads(rng, n_leads, users)
        follow_ids(session, ["sale_order"])  # and ANALYZE
        if session.get_bind().dialect.name == "postgresql":
            # the setting the README's Production section asks for on SSD storage: an
            # index probe costs little more than a sequential read there
            name = session.get_bind().url.database.replace('"', '""')
            session.execute(sa.text(f'ALTER DATABASE "{name}" SET random_page_cost = 1.1'))
            session.commit()
        counts = _counts()
    click.echo(", ".join(f"{t}: {n:,}" for t, n in counts.items()))
    click.echo(f"seeded {describe(db)} in {time.perf_counter() - start:.1f} s")

"""Sales' workloads for the benchmark runner (registered in `register()` with
`module.bench`): `flask --app wsgi bench seed|run`, on a SQLite file of their own or a
PostgreSQL database (`--db URL`). `seed` generates orders, lines, opportunities and what
billing and credit limits make of them (invoices, payments, limits); `run` times every
page of sales, billing and credit limits that grows with the data, the home page with its
widgets and the API lists, each against the raw time of the SQL it runs (bench/sql.py),
then times the service layer against Tryton's published figures. Imported only by the
runner (bench/, in a source tree), whose toolkit it uses."""
from __future__ import annotations

import random
import statistics
import time
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import click
import sqlalchemy as sa

from bench.commands import app_on, median_ms, seed_partners
from bench.sql import app_for, capture, copy_rows, describe, follow_ids, is_url, replay_ms

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
    from core.db import db as session_db
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
            _seed_orders(rng, n_orders, users)
            click.echo(f"orders: {n_orders:,} (done at {time.perf_counter() - start:.1f} s)")
            _seed_billing(date.today())
            click.echo(f"invoices, payments, credit limits (done at "
                       f"{time.perf_counter() - start:.1f} s)")
        if session.execute(sa.select(sa.func.count(Lead.id))).scalar():
            click.echo("leads: already there, kept")
        else:
            _seed_leads(rng, n_leads, users)
        follow_ids(session, ["sale_order"])  # and ANALYZE
        counts = _counts()
    click.echo(", ".join(f"{t}: {n:,}" for t, n in counts.items()))
    click.echo(f"seeded {describe(db)} in {time.perf_counter() - start:.1f} s")


# -- the pages ------------------------------------------------------------------------------
# every page of sales, billing and credit limits a user opens from the menus whose work
# grows with the data (the configuration lists do not), the home page with its widgets,
# and the API's lists; "list" pages and API reads are those whose SQL should be most of
# their time (marked when the page costs more than RATIO times its raw SQL)
SLOW_MS, RATIO = 100, 3


def _pages(app) -> list[tuple[str, str, str]]:
    """(label, URL, kind) of each page timed; kind: list, api or page."""
    from core.db import db
    from modules.billing.models import Invoice, Payment
    from modules.sales.models import Order

    with app.app_context():
        order = db.session.execute(sa.select(Order.id, Order.name).where(
            Order.state == "confirmed").order_by(Order.id.desc()).limit(1)).one()
        middle = db.session.execute(sa.select(Order.name).order_by(Order.id).offset(
            db.session.execute(sa.select(sa.func.count(Order.id))).scalar() // 2).limit(1)
        ).scalar()
        invoice = db.session.execute(sa.select(Invoice.id, Invoice.name).where(
            Invoice.name.is_not(None)).order_by(Invoice.id.desc()).limit(1)).one()
        payment = db.session.execute(sa.select(sa.func.max(Payment.id))).scalar()
    return [
        ("home (dashboard and widgets)", "/", "page"),
        ("lead list", "/sales/leads", "list"),
        ("lead list, search", "/sales/leads?q=Enquiry+0", "list"),
        ("lead list, grouped by status", "/sales/leads?group=status", "list"),
        ("lead report", "/sales/leads/report", "page"),
        ("lead pool", "/sales/pool", "list"),
        ("opportunity list", "/sales/opportunities", "list"),
        ("opportunity list, open, by stage",
         "/sales/opportunities?f.outcome=open&group=stage_id", "list"),
        ("pipeline board", "/sales/opportunities/board", "list"),
        ("pipeline calendar", "/sales/opportunities/calendar", "list"),
        ("pipeline report", "/sales/opportunities/report", "page"),
        ("order list (quotations and orders)", "/sales/orders", "list"),
        ("order list, search q=", f"/sales/orders?q={middle}", "list"),
        ("order list, filter state", "/sales/orders?f.state=confirmed", "list"),
        ("order list, group by state", "/sales/orders?group=state", "list"),
        ("order list, group by customer", "/sales/orders?group=partner_id", "list"),
        ("order list, filtered, by salesperson",
         "/sales/orders?f.state=confirmed&group=user_id", "list"),
        ("order report", "/sales/orders/report", "page"),
        ("order page", f"/sales/orders/{order.id}", "page"),
        ("products", "/sales/products", "list"),
        ("campaign results", "/sales/campaigns/results", "page"),
        ("forecast", "/sales/forecast", "page"),
        ("sales analysis (by customer)", "/sales/analysis", "page"),
        ("sales analysis by product", "/sales/analysis?by=product", "page"),
        ("sales analysis by month", "/sales/analysis?by=month", "page"),
        ("price analysis", "/sales/price-analysis", "page"),
        ("credit holds", "/credit/holds", "list"),
        ("invoice list", "/billing/invoices", "list"),
        ("invoice list, search q=", f"/billing/invoices?q={invoice.name}", "list"),
        ("invoice list, posted, by customer",
         "/billing/invoices?f.state=posted&group=partner_id", "list"),
        ("invoice report", "/billing/invoices/report", "page"),
        ("invoice page", f"/billing/invoices/{invoice.id}", "page"),
        ("payment list", "/billing/payments", "list"),
        ("payment page", f"/billing/payments/{payment}", "page"),
        ("receivables", "/billing/receivables", "page"),
        ("API sale.order list", "/api/v1/sale.order?limit=50", "api"),
        ("API sale.lead list", "/api/v1/sale.lead?limit=50", "api"),
        ("API billing.invoice list", "/api/v1/billing.invoice?limit=50", "api"),
    ]


def _client(app, login: str):
    client = app.test_client()
    assert client.post("/login", data={"login": login, "password": "bench"}).status_code == 302
    return client


def _bearer(app, login: str) -> dict[str, str]:
    from core.auth.models import ApiToken, User
    from core.db import db

    with app.app_context():
        user = db.session.execute(sa.select(User).where(User.login == login)).scalar_one()
        _record, token = ApiToken.issue(user, "bench run")
        db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def _time_pages(app, db, repeat: int, budget: float, markdown: bool) -> list[dict]:
    from core.db import db as session_db

    with app.app_context():
        engine = session_db.engine
        counts = _counts()
    logins = ("bench", SMALL[0], LARGE[0])
    web = {login: _client(app, login) for login in logins}
    api = {login: (app.test_client(), _bearer(app, login)) for login in logins}
    click.echo(f"{describe(db)} ({engine.dialect.name}): "
               + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    click.echo(f"median of up to {repeat} requests a page as `bench` (an administrator: all "
               f"records), at most ~{budget:.0f} s a page; raw = the same statements on a "
               "plain connection")
    head = ("page", "ms", "raw ms", "page/raw", "stmts", "q@20", "q@500", "n", "")
    if markdown:
        click.echo("| " + " | ".join((*head[:-1], "mark", "URL")) + " |")
        click.echo("|---" * 10 + "|")
    else:
        click.echo(f"{head[0]:<38}{head[1]:>8}{head[2]:>9}{head[3]:>9}{head[4]:>6}"
                   f"{head[5]:>6}{head[6]:>7}{head[7]:>4}  mark  URL")
    found = []
    for label, url, kind in _pages(app):
        seen, statements = [], []
        for login in logins:
            client, headers = api[login] if kind == "api" else (web[login], {})
            response = client.get(url, headers=headers)  # warm-up, and the page must work
            if response.status_code in (401, 403, 404) and login != "bench":
                seen.append(None)  # not for a salesperson
                continue
            assert response.status_code == 200, (login, url, response.status_code)
            start = time.perf_counter()
            sent = capture(engine, lambda c=client, h=headers, u=url: c.get(u, headers=h))
            seen.append(len(sent))
            if login == "bench":
                statements, first = sent, (time.perf_counter() - start) * 1000
        client, headers = api["bench"] if kind == "api" else (web["bench"], {})
        # a slow page gets fewer requests (the page and its raw SQL share the budget)
        runs = max(1, min(repeat, int(budget * 1000 / 2 / max(first, 0.1))))
        runs = max(runs, min(3, repeat))
        page_ms = median_ms(lambda c=client, h=headers, u=url: c.get(u, headers=h), runs)
        raw_ms = replay_ms(engine, statements, runs)
        ratio = page_ms / raw_ms if raw_ms else float("inf")
        marks = " ".join(m for m, on in (("SLOW", page_ms > SLOW_MS), (
            "RATIO", kind in ("list", "api") and ratio > RATIO)) if on)
        row = {"label": label, "url": url, "kind": kind, "ms": page_ms, "raw": raw_ms,
               "ratio": ratio, "statements": seen[0], "q20": seen[1], "q500": seen[2],
               "runs": runs, "marks": marks}
        found.append(row)
        q20, q500 = ("-" if q is None else q for q in seen[1:])
        if markdown:
            click.echo(f"| {label} | {page_ms:.1f} | {raw_ms:.2f} | {ratio:.1f} | {seen[0]} | "
                       f"{q20} | {q500} | {runs} | {marks} | `{url}` |")
        else:
            click.echo(f"{label:<38}{page_ms:>8.1f}{raw_ms:>9.2f}{ratio:>9.1f}{seen[0]:>6}"
                       f"{q20:>6}{q500:>7}{runs:>4}  {marks:<5} {url}")
    click.echo(f"stmts: statements the page sends for `bench`; q@20 / q@500: for a salesperson "
               f"owning 20 / 500 orders and open opportunities (-: not theirs to open). "
               f"SLOW: over {SLOW_MS} ms; RATIO: a list or API read over {RATIO} times its "
               "raw SQL.")
    return found


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
    if runs < 1:
        return
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
@click.option("--db", default=DB, show_default=True,
              help="The `seed` data: a SQLite file, or a database URL.")
@click.option("--repeat", default=15, show_default=True, help="Requests a page (median).")
@click.option("--budget", default=20.0, show_default=True,
              help="Seconds a slow page may take in all: fewer requests (3 at least).")
@click.option("--markdown", is_flag=True, help="The page table in Markdown.")
@click.option("--service-runs", default=3, show_default=True, help="0: no service workload.")
@click.option("--service-db", default=SERVICE_DB, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path))
def bench_run(db, repeat, budget, markdown, service_runs, service_db):
    """Every sales, billing and credit page that grows with the data, on the `seed` data:
    time, raw SQL time, statements (for everyone, 20 and 500 records); then the service
    layer on a fresh SQLite file against Tryton's figures."""
    if not is_url(db) and not Path(db).exists():
        raise click.ClickException(f"{db} does not exist: run `bench seed` first")
    _time_pages(app_for(db), db, repeat, budget, markdown)
    _service_workload(service_db, service_runs)

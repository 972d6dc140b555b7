"""Sales' workloads for the benchmark runner (registered in `register()` with
`module.bench`): `flask --app wsgi bench seed|run`, on a SQLite file of their own or a
PostgreSQL database (`--db URL`). `seed` (bench_seed.py) generates the data; `run` times every
page of sales, billing and credit limits that grows with the data, the home page with its
widgets and the API lists, each against the raw time of the SQL it runs (bench/sql.py),
then times the service layer against Tryton's published figures. Imported only by the
runner (bench/, in a source tree), whose toolkit it uses."""
from __future__ import annotations

import random
import statistics
import time
from pathlib import Path

import click
import sqlalchemy as sa

from bench.commands import app_on, median_ms, seed_partners
from bench.sql import app_for, capture, describe, is_url, replay_ms

from .bench_seed import DB, LARGE, SMALL, _counts, _enable_sales, _products

SERVICE_DB = "instance/bench-sales-service.sqlite3"
# Tryton 8.0's benchmark, seconds: 2,000 parties; 500 sales of 3 lines; confirming them
TRYTON = {"create 2,000 partners": 37, "create 500 orders x 3 lines": 14, "confirm 500": 80}


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


def _time_pages(app, db, repeat: int, budget: float, markdown: bool,
                only: str = "") -> list[dict]:
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
        if only not in label and only not in url:
            continue
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
    """Through the path the web pages and the API save by, one transaction per business
    step as a request would: each partner checked for likely duplicates (what the contact
    form warns of), then written through the API's resource (values parsed and validated,
    references checked, `core.records.save`: field rights, saving hooks, record rules
    before and after, the timeline); each order with its lines the same way (prices from
    the price lists, totals, numbering); each confirmation through the declared action
    (row lock, workflow, the confirming signal's credit check, billing's invoice, the
    kept sums)."""
    from flask_login import login_user

    from core import actions
    from core.api.resource import Resource
    from core.auth.models import User
    from core.db import db
    from core.modules import get_registry
    from core.partners.duplicates import likely_duplicates
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
        served = Resource.served(get_registry())
        partners, orders = served["partner"], served["sale.order"]
        confirm = orders.actions["confirm"]
        product_ids = db.session.execute(sa.select(Product.id)).scalars().all()
        figures = {}

        start = time.perf_counter()
        partner_ids = []
        for i in range(2000):
            values = {"name": f"Customer {i:04d}", "kind": "prospect", "is_company": True,
                      "email": f"c{i}@example.com", "city": "Hà Nội"}
            assert not likely_duplicates(values["name"], values["email"], None)
            partner_ids.append(partners.write(values).id)
            db.session.commit()
        figures["create 2,000 partners"] = time.perf_counter() - start

        start = time.perf_counter()
        order_ids = []
        for i in range(500):
            lines = [{"product_id": rng.choice(product_ids), "quantity": str(rng.randint(1, 10))}
                     for _ in range(3)]
            order_ids.append(orders.write({"partner_id": partner_ids[i], "lines": lines}).id)
            db.session.commit()
        figures["create 500 orders x 3 lines"] = time.perf_counter() - start

        start = time.perf_counter()
        for order_id in order_ids:
            actions.run(Order, confirm, order_id, {})
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
               "confirmation makes its invoice), through the API's save path and the "
               f"declared action, one commit per operation; median of {runs} runs:")
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
@click.option("--only", default="", help="Only the pages whose label or URL contains this.")
@click.option("--service-runs", default=3, show_default=True, help="0: no service workload.")
@click.option("--service-db", default=SERVICE_DB, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path))
def bench_run(db, repeat, budget, markdown, only, service_runs, service_db):
    """Every sales, billing and credit page that grows with the data, on the `seed` data:
    time, raw SQL time, statements (for everyone, 20 and 500 records); then the service
    layer on a fresh SQLite file against Tryton's figures."""
    if not is_url(db) and not Path(db).exists():
        raise click.ClickException(f"{db} does not exist: run `bench seed` first")
    _time_pages(app_for(db), db, repeat, budget, markdown, only)
    _service_workload(service_db, service_runs)

"""`flask --app wsgi bench cost`: what one request costs the server, in process CPU time and
SQL statements, for the reads staff and programs make all day: the API list of 50 records,
an API record, the contacts list of 50 rows and a contact's page.

The CPU is the thread's own time inside the app's WSGI call (the response consumed), so
the test client's work is not counted: what a gunicorn worker spends per request. Two
gunicorn workers on a 2-core machine serve about 2,000 / (ms per request) requests per
second at best; `bench load` measures the whole stack."""
from __future__ import annotations

import statistics
import time
from pathlib import Path

import click
import sqlalchemy as sa
from sqlalchemy import event


class Meter:
    """Wraps an app's WSGI callable: the CPU time of each call, the response included."""

    def __init__(self, app):
        self.inner, self.times = app.wsgi_app, []
        app.wsgi_app = self

    def __call__(self, environ, start_response):
        start = time.thread_time()
        body = b"".join(self.inner(environ, start_response))
        self.times.append((time.thread_time() - start) * 1000)
        return [body]


@click.command("cost")
@click.option("--rows", default=2_000, show_default=True, help="Partners to generate.")
@click.option("--db", "db_path", default="instance/bench-cost.sqlite3", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path))
@click.option("--requests", "count", default=300, show_default=True,
              help="Requests per kind.")
def bench_cost(rows, db_path, count):
    """Server CPU and SQL statements per request: API list and record, list page, record
    page."""
    from bench.commands import app_on, seed_partners
    from core.auth.models import ApiToken, User
    from core.db import db
    from core.partners.models import Partner

    app = app_on(db_path)
    seed_partners(app, rows)
    with app.app_context():
        user = db.session.execute(sa.select(User).where(User.login == "bench")).scalar_one()
        _record, token = ApiToken.issue(user, "bench cost")
        db.session.commit()
        first = db.session.execute(sa.select(sa.func.min(Partner.id))).scalar()
        engine = db.engine
    meter = Meter(app)
    web = app.test_client()
    web.post("/login", data={"login": "bench", "password": "bench"})
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    kinds = {
        "API list, 50 records": (api, "/api/v1/partner?limit=50", bearer),
        "API record": (api, f"/api/v1/partner/{first}", bearer),
        "list page, 50 rows": (web, "/contacts/partners", {}),
        "record page": (web, f"/contacts/partners/{first}", {}),
    }
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    click.echo(f"{count} requests each, {rows:,} partners, SQLite")
    click.echo(f"{'request':<24}{'CPU ms median':>14}{'mean':>7}{'statements':>12}")
    for label, (client, url, headers) in kinds.items():
        for _ in range(5):  # warm: templates compiled, caches filled, token touched
            assert client.get(url, headers=headers).status_code == 200, url
        meter.times.clear()
        seen.clear()
        for _ in range(count):
            client.get(url, headers=headers)
        statements = len(seen) / count
        click.echo(f"{label:<24}{statistics.median(meter.times):>14.2f}"
                   f"{statistics.mean(meter.times):>7.2f}{statements:>12.1f}")

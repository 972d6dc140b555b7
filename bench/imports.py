"""`flask --app wsgi bench import`: a contacts CSV file of N rows through the whole app, as
a user sends it: the upload with its preview (every row checked), then the import (a
background task beyond ERP_IMPORT_INLINE_ROWS rows, run here as it is queued), with the
time of each step and the rows per second."""
from __future__ import annotations

import io
import random
import time
from pathlib import Path

import click
import sqlalchemy as sa


def contacts_csv(rows: int, companies: list[str], seed: int = 3) -> bytes:
    """`rows` contacts as a user's file has them: names with accents, emails, phones,
    a city, a country by name, a kind, a company by name and tags by name."""
    from bench.commands import CITIES, FAMILY, GIVEN

    rng = random.Random(seed)
    lines = ["Name,Email,Phone,City,Country,Kind,Works at,Tags"]
    for i in range(rows):
        name = f"{rng.choice(FAMILY)} {rng.choice(GIVEN)} {i:06d}"
        tags = rng.choice(["", "VIP", "VIP; Hà Nội", "Hà Nội"])
        lines.append(f"{name},c{i}@example.com,+84 90 {i:07d},{rng.choice(CITIES)},"
                     f"{rng.choice(['Vietnam', 'VN', 'Singapore'])},customer,"
                     f"{rng.choice(companies)},{tags}")
    return ("\n".join(lines) + "\n").encode()


@click.command("import")
@click.option("--rows", default=100_000, show_default=True, help="Contacts in the file.")
@click.option("--db", "db_path", default="instance/bench-import.sqlite3", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path))
def bench_import(rows, db_path):
    """One CSV file of contacts imported through the app: upload and preview, then the
    import, timed."""
    from bench.commands import app_on, seed_partners
    from core.db import db
    from core.partners.models import Partner, PartnerTag

    db_path = db_path.resolve()
    for suffix in ("", "-wal", "-shm"):  # a fresh file: the figures are for an empty table
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    app = app_on(db_path, ERP_TASKS_IMMEDIATE=True)  # a queued task runs as it is queued
    seed_partners(app, 0)
    companies = [f"Company {i:03d}" for i in range(200)]
    with app.app_context():
        db.session.add_all([Partner(name=name, is_company=True) for name in companies])
        db.session.add_all([PartnerTag(name="VIP"), PartnerTag(name="Hà Nội")])
        db.session.commit()
    body = contacts_csv(rows, companies)
    client = app.test_client()
    client.post("/login", data={"login": "bench", "password": "bench"})
    start = time.perf_counter()
    preview = client.post("/contacts/partners/import",
                          data={"file": (io.BytesIO(body), "contacts.csv")})
    if preview.status_code == 302:  # checked by a task (run as it is queued): its preview
        from core.tasks import Task

        with app.app_context():
            link = db.session.execute(sa.select(Task.link).where(
                Task.name == "core.import_check")).scalar_one()
        preview = client.get(link)
    checked = time.perf_counter()
    assert preview.status_code == 200, preview.text[-2000:]
    token = preview.text.split('name="token" value="')[1].split('"')[0]
    done = client.post("/contacts/partners/import", data={"token": token})
    finished = time.perf_counter()
    assert done.status_code == 302, done.status_code
    with app.app_context():
        made = db.session.execute(sa.select(sa.func.count(Partner.id)).where(
            Partner.is_company.is_(False))).scalar()
    assert made == rows, (made, rows)
    total = finished - start
    click.echo(f"{rows:,} contacts ({len(body) / 1e6:.1f} MB), SQLite, one upload")
    click.echo(f"upload and preview (every row checked): {checked - start:6.1f} s")
    click.echo(f"import (checked once more, saved in batches): {finished - checked:6.1f} s")
    click.echo(f"in all: {total:.1f} s, {rows / total:,.0f} rows per second")

"""A CSV import at scale (issue 16): rows are checked once and saved in batches through
core.records.save_many, references are read in one query per column, so the statements
do not grow with the rows; a batch still refuses exactly the rows `save` would refuse."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event

from core.db import db

from .test_csv_transfer import CONTACTS, _own_instance, partners, token_of, upload  # noqa: F401

TAGS = "/contacts/tags"


def statements(app, func) -> int:
    """The statements `func` runs, but for SQLite's INSERTs of new records: SQLite cannot
    return the ids of a many-row INSERT in order, so SQLAlchemy sends one per record (a
    few microseconds in-process); PostgreSQL's are counted, one per batch."""
    seen = []

    def count(_conn, _cursor, statement, *_args):
        if not (statement.startswith("INSERT INTO partner ") and "sqlite" in str(engine.url)):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        func()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def contacts(n: int, start: int = 0) -> str:
    return "name,email,Works at,tags,country\n" + "".join(
        f"Person {i},p{i}@example.com,{'Acme' if i % 2 else 'Globex'},gold; silver,"
        f"{'Vietnam' if i % 3 else 'vn'}\n" for i in range(start, start + n))


def test_an_imports_statements_do_not_grow_with_its_rows(app, admin_client):
    from core.partners.models import Partner, PartnerTag

    acme, _globex = partners(app, "Acme", "Globex")
    with app.app_context():
        db.session.add_all([PartnerTag(name="Gold"), PartnerTag(name="Silver")])
        db.session.commit()
    app.config["ERP_IMPORT_INLINE_ROWS"] = 5000  # both in the request
    counts = {}
    for n, start in ((10, 0), (600, 100)):
        preview = upload(admin_client, CONTACTS, contacts(n, start))
        assert preview.status_code == 200, preview.text
        token = token_of(preview)
        counts[n] = statements(app, lambda t=token: admin_client.post(
            f"{CONTACTS}/import", data={"token": t}))
    # neither a query per row nor per name: a few per batch of 500 rows (two here)
    assert counts[600] <= counts[10] + 8, counts
    with app.app_context():
        made = db.session.execute(sa.select(Partner).where(
            Partner.name == "Person 101")).scalar_one()
        assert made.country == "VN" and made.parent_id == acme
        assert sorted(t.name for t in made.tags) == ["Gold", "Silver"]
        assert db.session.execute(sa.select(sa.func.count(Partner.id)).where(
            Partner.name.like("Person %"))).scalar() == 610


def test_a_value_twice_in_a_unique_column_is_refused_in_the_same_batch(app, admin_client):
    from core.partners.models import PartnerTag

    text = "name,color\nGold,yellow\nSilver,grey\nGold,red\n"
    preview = upload(admin_client, TAGS, text)
    assert preview.status_code == 200, preview.text  # each row alone is valid
    done = admin_client.post(f"{TAGS}/import", data={"token": token_of(preview)},
                             follow_redirects=True)
    assert "Nothing was imported" in done.text and "Row 3" in done.text
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(PartnerTag.id))).scalar() == 0
    preview = upload(admin_client, TAGS, text)
    done = admin_client.post(f"{TAGS}/import", data={"token": token_of(preview),
                                                     "mode": "valid"})
    assert "2 records imported: 2 created, 0 updated, 1 rejected." in done.text
    with app.app_context():
        assert dict(db.session.execute(sa.select(PartnerTag.name, PartnerTag.color)).all()) == {
            "Gold": "warning", "Silver": "secondary"}


def test_a_country_is_read_by_its_code_or_its_name_in_any_case(app, admin_client):
    from core.partners.models import Partner

    text = "name,country\nA,vn\nB,Vietnam\nC,VIETNAM\nD,Atlantis\n"
    preview = upload(admin_client, CONTACTS, text)
    assert preview.status_code == 422 and preview.text.count("Not a valid choice.") == 1
    admin_client.post(f"{CONTACTS}/import", data={"token": token_of(preview),
                                                  "mode": "valid"})
    with app.app_context():
        assert dict(db.session.execute(sa.select(Partner.name, Partner.country).where(
            Partner.name.in_(list("ABCD")))).all()) == {"A": "VN", "B": "VN", "C": "VN"}

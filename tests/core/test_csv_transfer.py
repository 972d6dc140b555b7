"""CSV export and import (issue 15): references by name, the export imported back (rows
with an id update their record), the valid rows imported beside the rejected ones, every
row processed, a column mapping, and no live formulas in an export."""
from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from core.db import db

from ..conftest import add_user, login
from .test_generic_views import SHELF, books  # noqa: F401  (the fixture)
from .test_translatable import PRODUCTS, client, shop  # noqa: F401  (the fixture)

CONTACTS = "/contacts/partners"


@pytest.fixture(autouse=True)
def _own_instance(tmp_path, monkeypatch):
    monkeypatch.setenv("ERP_INSTANCE_PATH", str(tmp_path / "instance"))


def upload(client, url, text):
    """The preview of a file: a large one's comes through its background check, whose
    link (followed here) opens it."""
    sent = client.post(f"{url}/import", data={"file": (io.BytesIO(text.encode()), "x.csv")})
    if sent.status_code != 302 or "/tasks/" not in sent.location:
        return sent
    from core.tasks import Task

    task_id = int(sent.location.rstrip("/").split("/")[-1])
    with client.application.app_context():
        link = db.session.get(Task, task_id).link
    return client.get(link)


def token_of(page) -> str:
    return page.text.split('name="token" value="')[1].split('"')[0]


def partners(app, *names):
    from core.partners.models import Partner

    with app.app_context():
        made = [Partner(name=n, is_company=True, salesperson_id=1) for n in names]
        db.session.add_all(made)
        db.session.commit()
        return [p.id for p in made]


def partner(app, name):
    from core.partners.models import Partner

    with app.app_context():
        found = db.session.execute(sa.select(Partner).where(Partner.name == name)).scalars().all()
        for p in found:
            db.session.expunge(p)
        return found


def book_rows(app):
    from tests.fixture_modules.fx_library.models import Book

    with app.app_context():
        return sorted((b.title, b.author, b.status, b.owner_id, b.published_on, b.price)
                      for b in db.session.execute(sa.select(Book)).scalars())


def test_a_reference_is_found_by_name_code_or_id(app, admin_client):
    acme, twin, _twin = partners(app, "Acme Widgets Pte Ltd", "Twin Co", "Twin Co")
    text = ("name,kind,Works at,Salesperson\n"
            "Jane,customer,acme widgets pte ltd,admin\n"
            f"Joe,customer,{acme},\n"
            "Kim,customer,Twin Co,\n"
            "Lee,customer,Nobody Ltd,\n")
    preview = upload(admin_client, CONTACTS, text)
    assert "could not coerce" not in preview.text
    rows = preview.text.split('data-row="')
    assert "row-error" not in rows[1].split("</tr>")[0]  # by name, case-insensitive
    assert "row-error" not in rows[2].split("</tr>")[0]  # by id
    assert "2 records match" in rows[3].split("</tr>")[0]  # ambiguous: the count
    assert "No record matches" in rows[4].split("</tr>")[0]
    done = admin_client.post(f"{CONTACTS}/import", data={"token": token_of(preview),
                                                         "mode": "valid"})
    assert "2 records imported: 2 created, 0 updated, 2 rejected." in done.text
    jane, = partner(app, "Jane")
    assert jane.parent_id == acme and jane.salesperson_id == 1  # the admin by login
    assert partner(app, "Joe")[0].parent_id == acme
    assert twin
    exported = admin_client.get(f"{CONTACTS}/export.csv").data.decode("utf-8-sig")
    assert "Jane,Acme Widgets Pte Ltd," in exported  # the company by name
    preview = upload(admin_client, CONTACTS, exported)
    assert preview.status_code == 200, preview.text
    done = admin_client.post(f"{CONTACTS}/import", data={"token": token_of(preview)},
                             follow_redirects=True)
    assert "5 records imported: 0 created, 5 updated, 0 rejected." in done.text
    assert partner(app, "Jane")[0].parent_id == acme
    kim = partners(app, "Kim")[0]  # a shared name: the record's own company is kept
    preview = upload(admin_client, CONTACTS, f"id,Works at\n{kim},{twin}\n")
    admin_client.post(f"{CONTACTS}/import", data={"token": token_of(preview)})
    preview = upload(admin_client, CONTACTS, f"id,Works at\n{kim},twin co\n")
    assert preview.status_code == 200, preview.text


def test_the_export_imports_back_updating_its_records(app, admin_client, books):  # noqa: F811
    before = book_rows(app)
    exported = admin_client.get(f"{SHELF}/export.csv").data.decode("utf-8-sig")
    assert exported.splitlines()[0].endswith(",id")
    preview = upload(admin_client, SHELF, exported)
    assert preview.status_code == 200, preview.text
    assert "4 rows are ready to import." in preview.text
    done = admin_client.post(f"{SHELF}/import", data={"token": token_of(preview)},
                             follow_redirects=True)
    assert "4 records imported: 0 created, 4 updated, 0 rejected." in done.text
    assert book_rows(app) == before  # no duplicates, nothing changed
    changed = exported.replace("Atlas,Ann", "Atlas,Anne")
    preview = upload(admin_client, SHELF, changed)
    admin_client.post(f"{SHELF}/import", data={"token": token_of(preview)})
    assert ("Atlas", "Anne") in [row[:2] for row in book_rows(app)] and len(book_rows(app)) == 4


def test_booleans_and_tags_survive_the_round_trip(app, admin_client):
    from core.partners.models import PartnerTag

    with app.app_context():
        db.session.add_all([PartnerTag(name="Gold", active=False),
                            PartnerTag(name="Silver", active=True)])
        db.session.commit()
    exported = admin_client.get("/contacts/tags/export.csv").data.decode("utf-8-sig")
    preview = upload(admin_client, "/contacts/tags", exported)
    admin_client.post("/contacts/tags/import", data={"token": token_of(preview)})
    with app.app_context():
        tags = dict(db.session.execute(sa.select(PartnerTag.name, PartnerTag.active)).all())
    assert tags == {"Gold": False, "Silver": True}  # "0" was read as true
    gold = next(iter(partners(app, "Tagged")))
    preview = upload(admin_client, CONTACTS, f"id,name,tags\n{gold},Tagged,gold; Silver\n")
    admin_client.post(f"{CONTACTS}/import", data={"token": token_of(preview)})
    with app.app_context():
        from core.partners.models import Partner

        assert sorted(t.name for t in db.session.get(Partner, gold).tags) == ["Gold", "Silver"]


def test_an_id_the_importer_may_not_write_is_a_row_error(app, books):  # noqa: F811
    with app.app_context():
        add_user("ann", {"fx_library.user"})
        db.session.commit()
    ann = login(app.test_client(), "ann")
    preview = upload(ann, SHELF, f"id,title,status\n{books['Atlas']},Stolen,shelved\n"
                     "0,Mine,shelved\n")
    assert preview.status_code == 422 and "No record with this id" in preview.text
    assert "Atlas" in [row[0] for row in book_rows(app)]


def test_the_valid_rows_import_and_the_rejected_rows_download(app, admin_client,
                                                               books):  # noqa: F811
    text = "title,status,price\nFresh,shelved,1.50\n,reading,2\nOther,moon,x\n"
    preview = upload(admin_client, SHELF, text)
    assert preview.status_code == 422 and "Import the valid rows (1)" in preview.text
    link = preview.text.split('class="btn btn-outline-secondary rejected-rows" href="')[1]
    rejected = admin_client.get(link.split('"')[0].replace("&amp;", "&"))
    assert rejected.status_code == 200 and rejected.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(rejected.data.decode("utf-8-sig"))))
    assert lines[0] == ["title", "status", "price", "Reason"]
    assert [line[:3] for line in lines[1:]] == [["", "reading", "2"], ["Other", "moon", "x"]]
    assert "Title" in lines[1][3] and "Status" in lines[2][3]
    with app.app_context():
        add_user("ann", {"fx_library.user"})
        db.session.commit()
    assert login(app.test_client(), "ann").get(
        link.split('"')[0].replace("&amp;", "&")).status_code == 404  # the importer's own
    done = admin_client.post(f"{SHELF}/import", data={"token": token_of(preview),
                                                      "mode": "valid"})
    assert "1 records imported: 1 created, 0 updated, 2 rejected." in done.text
    assert "rejected-rows" in done.text
    assert len(book_rows(app)) == 5


def test_no_row_is_dropped(app, admin_client, books):  # noqa: F811
    text = "title,status\n" + "".join(f"B{i:05d},shelved\n" for i in range(5003))
    preview = upload(admin_client, SHELF, text)
    assert "5003 rows are ready to import." in preview.text
    assert "every row is checked and imported" in preview.text
    admin_client.post(f"{SHELF}/import", data={"token": token_of(preview)})
    assert len(book_rows(app)) == 4 + 5003
    from core.tasks import Task

    with app.app_context():
        message = db.session.execute(sa.select(Task.message).where(
            Task.name == "core.import")).scalar_one()
    assert message == "5003 records imported: 5003 created, 0 updated, 0 rejected."


def test_unknown_headers_are_mapped_by_hand(app, admin_client, books):  # noqa: F811
    page = upload(admin_client, SHELF, "Book name,Writer,Shelf\nMapped,Mia,reading\n")
    assert 'name="map-0"' in page.text and 'name="map-2"' in page.text
    preview = admin_client.post(f"{SHELF}/import", data={
        "token": token_of(page), "step": "map", "map-0": "title", "map-1": "author",
        "map-2": "status"})
    assert "1 rows are ready to import." in preview.text
    admin_client.post(f"{SHELF}/import", data={"token": token_of(preview)})
    assert ("Mapped", "Mia", "reading") in [row[:3] for row in book_rows(app)]


def test_the_export_writes_no_live_formula_and_imports_back_exactly(app, admin_client):
    names = ['=HYPERLINK("http://evil.example","x")', "+1", "-2 Co", "@SUM(A1)",
             "'quoted", "Plain"]
    ids = partners(app, *names)
    exported = admin_client.get(f"{CONTACTS}/export.csv?sort=name").data.decode("utf-8-sig")
    cells = [row[0] for row in csv.reader(io.StringIO(exported))][1:]
    assert all(not c.startswith(("=", "+", "-", "@")) for c in cells)
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in cells and "''quoted" in cells
    preview = upload(admin_client, CONTACTS, exported)
    admin_client.post(f"{CONTACTS}/import", data={"token": token_of(preview)})
    from core.partners.models import Partner

    with app.app_context():
        stored = dict(db.session.execute(sa.select(Partner.id, Partner.name)).all())
    assert [stored[i] for i in ids] == names and len(stored) == len(names)


def test_translations_survive_the_round_trip(shop):  # noqa: F811
    from modules.sales.models import Product

    vi = client(shop, "vi")
    exported = vi.get("/sales/products/export.csv").data.decode("utf-8-sig")
    assert "Nước táo" in exported
    preview = upload(vi, "/sales/products", exported)
    assert preview.status_code == 200, preview.text
    done = vi.post("/sales/products/import", data={"token": token_of(preview)},
                   follow_redirects=True)
    assert "0 tạo mới, 3 cập nhật, 0 bị từ chối." in done.text  # in her language
    with shop.app_context():
        stored = {p.name: (p.name_translations or {}) for p in
                  db.session.execute(sa.select(Product)).scalars()}
    assert stored == {en: {k: v for k, v in (("vi", vi_), ("zh_CN", zh)) if v}
                      for en, vi_, zh in PRODUCTS}  # English kept, Vietnamese as it was

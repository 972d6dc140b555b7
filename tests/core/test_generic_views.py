"""The generic views, through the fixture module's books and core's contacts."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.auth.models import User
from core.db import db
from core.modules import get_registry, lifecycle

from ..conftest import add_user, login

SHELF = "/fx/books/shelf"


@pytest.fixture
def books(app):
    from tests.fixture_modules.fx_library.models import Book

    with app.app_context():
        lifecycle.enable(get_registry(), ["fx_library"])
        admin = db.session.execute(sa.select(User).where(User.login == "admin")).scalar()
        db.session.execute(sa.delete(Book))
        rows = [("Atlas", "Ann", "shelved", "10.00", date(2026, 11, 3)),
                ("Bible", "Ben", "reading", "20.50", date(2026, 11, 3)),
                ("Codex", "Ann", "reading", "5.25", date(2026, 11, 20)),
                ("Diary", "Ann", "repair", None, None)]
        db.session.add_all(Book(title=t, author=a, status=s, owner_id=admin.id,
                                price=Decimal(p) if p else None, published_on=d)
                           for t, a, s, p, d in rows)
        db.session.commit()
        return {b.title: b.id for b in db.session.execute(sa.select(Book)).scalars()}


def rows(response) -> list[str]:
    html = response.text
    return [part.split('<a href="', 1)[1].split('">', 1)[1].split("<", 1)[0]
            for part in html.split('<td class="col-title"')[1:]]


def test_list_cells_are_named_for_phone_cards(admin_client, books):
    """On a phone each row is a card (.phone-cards): every cell names its column."""
    html = admin_client.get(SHELF).text
    assert 'class="table table-hover align-middle mb-0 record-list phone-cards"' in html
    assert '<td class="col-title" data-label="Title">' in html
    assert '<td class="col-author" data-label="Author">' in html
    grouped = admin_client.get(f"{SHELF}?group=status").text
    assert 'group-table phone-cards' in grouped and 'data-label="Count"' in grouped


def test_list_searches_filters_sorts_and_pages(admin_client, books, monkeypatch):
    assert rows(admin_client.get(SHELF)) == ["Atlas", "Bible", "Codex", "Diary"]
    assert rows(admin_client.get(f"{SHELF}?q=co")) == ["Codex"]
    assert rows(admin_client.get(f"{SHELF}?f.status=reading")) == ["Bible", "Codex"]
    assert rows(admin_client.get(f"{SHELF}?sort=-title")) == ["Diary", "Codex", "Bible", "Atlas"]
    assert rows(admin_client.get(f"{SHELF}?sort=-price")) == ["Bible", "Atlas", "Codex", "Diary"]
    monkeypatch.setattr("core.ui.generic.listing.PAGE_SIZE", 3)
    first = admin_client.get(SHELF)
    assert rows(first) == ["Atlas", "Bible", "Codex"]
    next_url = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = admin_client.get(next_url.replace("&amp;", "&"))
    assert rows(second) == ["Diary"]
    prev_url = second.text.split('rel="prev"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert rows(admin_client.get(prev_url.replace("&amp;", "&"))) == ["Atlas", "Bible", "Codex"]
    assert admin_client.get(f"{SHELF}?after=garbage").status_code == 400


def test_group_by_counts_and_sums(admin_client, books):
    page = admin_client.get(f"{SHELF}?group=status").text
    table = page.split('group-table phone-cards"')[1].split("</table>")[0]
    assert 'data-group="reading"' in table
    reading = table.split('data-group="reading"')[1].split("</tr>")[0]
    assert '<td class="text-end group-count" data-label="Count">2</td>' in reading
    assert "25.75" in reading


def test_export_is_what_is_filtered(admin_client, books):
    csv_text = admin_client.get(f"{SHELF}/export.csv?f.status=reading").data.decode("utf-8-sig")
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("Title,Author,Status")
    assert [line.split(",")[0] for line in lines[1:]] == ["Bible", "Codex"]


def test_form_shows_errors_beside_fields_and_saves(admin_client, books, app):
    bad = admin_client.post(f"{SHELF}/new", data={"title": "", "status": "shelved",
                                                  "price": "lots"})
    assert bad.status_code == 422
    assert "field-title" in bad.text and "This field is required." in bad.text
    assert "Enter a number such as 1,234.5." in bad.text  # says what to type
    good = admin_client.post(f"{SHELF}/new", data={"title": "Epic", "status": "shelved",
                                                   "price": "9.99", "published_on": "2026-11-02"})
    assert good.status_code == 302
    page = admin_client.get(good.location)
    assert 'value="Epic"' in page.text and 'data-timeline="fx.book:' in page.text
    edit = admin_client.post(good.location, data={"title": "Epic II", "status": "reading"})
    assert edit.status_code == 302
    assert "Epic II" in admin_client.get(good.location).text


def test_bulk_delete_goes_through_the_rules(admin_client, clerk_client, books):
    ids = [books["Atlas"], books["Bible"]]
    assert clerk_client.post(f"{SHELF}/bulk", data={"ids": ids, "action": "delete"}
                             ).status_code == 403
    admin_client.post(f"{SHELF}/bulk", data={"ids": ids, "action": "delete"})
    assert rows(admin_client.get(SHELF)) == ["Codex", "Diary"]


def test_board_counts_sums_and_moves(admin_client, books):
    board = admin_client.get(f"{SHELF}/board").text
    reading = board.split('data-stage="reading"')[1].split("</section>")[0]
    assert '<span class="badge text-bg-secondary board-count">2</span>' in reading
    assert "25.75" in reading
    moved = admin_client.post(f"{SHELF}/{books['Atlas']}/move", data={"stage": "repair"},
                              headers={"X-Requested-With": "fetch"})
    assert moved.get_json() == {"id": books["Atlas"], "stage": "repair"}
    board = admin_client.get(f"{SHELF}/board").text
    assert "Atlas" in board.split('data-stage="repair"')[1].split("</section>")[0]
    assert admin_client.post(f"{SHELF}/{books['Atlas']}/move", data={"stage": "moon"}
                             ).status_code == 302


def test_calendar_month_and_week(admin_client, books):
    month = admin_client.get(f"{SHELF}/calendar?day=2026-11-15").text
    day = month.split('data-day="2026-11-03"')[1].split('data-day=')[0]
    assert "Atlas" in day and "Bible" in day
    week = admin_client.get(f"{SHELF}/calendar?mode=week&day=2026-11-20").text
    assert "Codex" in week and "Atlas" not in week
    assert admin_client.get(f"{SHELF}/calendar?day=nonsense").status_code == 200


def test_a_busy_day_shows_its_first_items_and_how_many_more(admin_client, books,
                                                            monkeypatch):
    """A month's day shows MONTH_ITEMS items and "+N more", a link to its week, which
    shows them all; only the records shown are loaded."""
    monkeypatch.setattr("core.ui.generic.calendar.MONTH_ITEMS", 1)
    month = admin_client.get(f"{SHELF}/calendar?day=2026-11-15").text
    day = month.split('data-day="2026-11-03"')[1].split('data-day=')[0]
    assert "Atlas" in day and "Bible" not in day
    assert "calendar?day=2026-11-03&amp;mode=week\">+1 more<" in day
    other = month.split('data-day="2026-11-20"')[1].split('data-day=')[0]
    assert "Codex" in other and "more" not in other
    week = admin_client.get(f"{SHELF}/calendar?mode=week&day=2026-11-03").text
    assert "Atlas" in week and "Bible" in week and "+1 more" not in week


def test_report_pivots_and_charts(admin_client, books):
    page = admin_client.get(f"{SHELF}/report?rows=author&cols=status&measure=price").text
    ann = page.split('data-row="Ann"')[1].split("</tr>")[0]
    assert "15.25" in ann  # 10.00 shelved + 5.25 reading (+ nothing for the repair)
    assert 'data-chart="' in page
    assert grand_total(page) == "$35.75"  # a sum of prices is money (issue 15)
    counted = admin_client.get(f"{SHELF}/report?rows=status").text
    assert grand_total(counted) == "4"


def grand_total(page: str) -> str:
    return page.split("grand-total")[1].split(">", 1)[1].split("</td>")[0]


def test_csv_import_previews_and_writes_all_or_nothing(admin_client, books, app):
    from tests.fixture_modules.fx_library.models import Book

    def count():
        with app.app_context():
            return db.session.execute(sa.select(sa.func.count(Book.id))).scalar()

    bad_csv = "title,status,price\nFresh,shelved,1.50\n,reading,2\nOther,moon,x\n"
    preview = admin_client.post(f"{SHELF}/import",
                                data={"file": (io.BytesIO(bad_csv.encode()), "books.csv")})
    assert preview.status_code == 422
    assert "2 of 3 rows have errors" in preview.text
    assert preview.text.count("row-error") >= 3
    assert count() == 4
    good_csv = "Title,Status,Price\nFresh,shelved,1.50\nNewer,Reading,2\n"
    preview = admin_client.post(f"{SHELF}/import",
                                data={"file": (io.BytesIO(good_csv.encode()), "books.csv")})
    assert "2 rows are ready to import." in preview.text  # "Reading": a label names its value
    good_csv = "Title,Status,Price\nFresh,shelved,1.50\nNewer,reading,2\n"
    preview = admin_client.post(f"{SHELF}/import",
                                data={"file": (io.BytesIO(good_csv.encode()), "books.csv")})
    assert preview.status_code == 200 and "2 rows are ready to import." in preview.text
    token = preview.text.split('name="token" value="')[1].split('"')[0]
    done = admin_client.post(f"{SHELF}/import", data={"token": token})
    assert done.status_code == 302 and count() == 6
    assert admin_client.post(f"{SHELF}/import", data={"token": token}).status_code == 302
    assert count() == 6  # a token imports once


def test_contacts_use_the_generic_views(app, admin_client):
    created = admin_client.post("/contacts/partners/new", data={
        "name": "Công ty Hoa Sen", "is_company": "y", "kind": "customer", "active": "y"})
    assert created.status_code == 302
    person = admin_client.post("/contacts/partners/new", data={
        "name": "Lý Minh", "kind": "customer", "parent_id": created.location.rsplit("/", 1)[1],
        "email": "minh@hoasen.vn", "active": "y"})
    assert person.status_code == 302
    listing = admin_client.get("/contacts/partners").text
    assert "Công ty Hoa Sen" in listing and "minh@hoasen.vn" in listing
    minh = listing.split("Lý Minh")[1].split("</tr>")[0]
    assert "Công ty Hoa Sen" in minh  # the company column, joined in the same query
    assert admin_client.get("/contacts/partners/report?rows=kind").status_code == 200


def test_a_list_runs_the_same_number_of_queries_for_few_and_many_rows(app, admin_client):
    from sqlalchemy import event

    def queries_for(n):
        with app.app_context():
            from core.partners.models import Partner

            db.session.execute(sa.delete(Partner))
            db.session.add_all(Partner(name=f"P{i:03d}", salesperson_id=1) for i in range(n))
            db.session.commit()
            engine = db.engine
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert admin_client.get("/contacts/partners?group=kind").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    admin_client.get("/contacts/partners")  # what a process reads once (its settings)
    assert queries_for(3) == queries_for(45)


def test_import_cannot_create_records_outside_the_importers_rules(app, books):
    from tests.fixture_modules.fx_library.models import Book

    with app.app_context():
        add_user("ann", {"fx_library.user"})
        db.session.commit()
        admin_id = db.session.execute(sa.select(User.id).where(User.login == "admin")).scalar()
        before = db.session.execute(sa.select(sa.func.count(Book.id))).scalar()
    client = login(app.test_client(), "ann")
    text = f"title,status,owner_id\nSneaky,shelved,{admin_id}\n"
    preview = client.post(f"{SHELF}/import", data={"file": (io.BytesIO(text.encode()), "b.csv")})
    token = preview.text.split('name="token" value="')[1].split('"')[0]
    done = client.post(f"{SHELF}/import", data={"token": token}, follow_redirects=True)
    assert "Nothing was imported" in done.text
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Book.id))).scalar() == before

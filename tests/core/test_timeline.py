"""The record timeline: each change recorded once; notes; attachments served only to
readers of the record."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from core.db import db
from core.modules import get_registry, lifecycle
from core.timeline import TimelineEntry

from ..conftest import add_user, login


@pytest.fixture
def books(app):
    from tests.fixture_modules.fx_library.models import Book

    with app.app_context():
        lifecycle.enable(get_registry(), ["fx_library"])
        user = add_user("ann", {"fx_library.user"})
        book = Book(title="Mine", owner_id=user.id)
        db.session.add(book)
        db.session.commit()
        return book.id


def history(app, book_id):
    with app.app_context():
        return db.session.execute(
            sa.select(TimelineEntry.kind, TimelineEntry.changes, TimelineEntry.body)
            .where(TimelineEntry.model == "fx.book", TimelineEntry.record_id == book_id)
            .order_by(TimelineEntry.id)).all()


def test_each_change_is_recorded_once_with_old_and_new_values(app, books):
    from tests.fixture_modules.fx_library.models import Book

    with app.app_context():
        book = db.session.get(Book, books)
        book.title = "Renamed"
        db.session.flush()
        book.author = "Lan"
        db.session.commit()
        book.title = "Renamed"  # no real change: nothing recorded
        db.session.commit()
        db.session.delete(book)
        db.session.commit()
    kinds = [(kind, changes) for kind, changes, _ in history(app, books)]
    assert kinds[0][0] == "create" and kinds[0][1]["title"] == [None, "Mine"]
    assert kinds[1] == ("update", {"title": ["Mine", "Renamed"]})
    assert kinds[2] == ("update", {"author": [None, "Lan"]})
    assert kinds[3][0] == "delete" and kinds[3][1]["title"] == ["Renamed", None]
    assert len(kinds) == 4


def test_changes_through_a_page_record_who_made_them(app, books):
    ann = login(app.test_client(), "ann")
    assert ann.post(f"/fx/books/{books}/edit", data={"title": "By Ann"}).status_code == 200
    with app.app_context():
        entry = db.session.execute(sa.select(TimelineEntry).where(
            TimelineEntry.kind == "update")).scalar()
        assert entry.user.login == "ann"
    page = ann.get(f"/fx/books/{books}").text
    assert "By Ann" in page and "data-timeline=\"fx.book:" in page


def test_notes_and_attachments(app, books, tmp_path):
    app.config["ERP_ATTACHMENTS_DIR"] = str(tmp_path / "files")
    app.config["ERP_ATTACHMENT_MAX_BYTES"] = 1024
    ann = login(app.test_client(), "ann")
    ann.post(f"/timeline/fx.book/{books}/note", data={"body": "Called the author"})
    ann.post(f"/timeline/fx.book/{books}/note", data={"body": "   "})  # refused: empty
    assert [body for kind, _, body in history(app, books) if kind == "note"] == [
        "Called the author"]
    too_big = ann.post(f"/timeline/fx.book/{books}/attachment",
                       data={"file": (io.BytesIO(b"x" * 2048), "big.bin")},
                       follow_redirects=True)
    assert b"larger than" in too_big.data
    ann.post(f"/timeline/fx.book/{books}/attachment",
             data={"file": (io.BytesIO(b"hello"), "offer.txt")})
    with app.app_context():
        files = db.session.execute(sa.select(TimelineEntry).where(
            TimelineEntry.kind == "attachment")).scalars().all()
    assert [f.file_name for f in files] == ["offer.txt"]
    stored = list((tmp_path / "files").rglob("*"))
    assert [p for p in stored if p.is_file()][0].read_bytes() == b"hello"
    download = ann.get(f"/timeline/attachment/{files[0].id}")
    assert download.status_code == 200 and download.data == b"hello"
    # a user who may not read the book may not read its files or write on its timeline
    with app.app_context():
        add_user("ben", {"fx_library.user"})
        db.session.commit()
    ben = login(app.test_client(), "ben")
    assert ben.get(f"/timeline/attachment/{files[0].id}").status_code == 404
    assert ben.post(f"/timeline/fx.book/{books}/note", data={"body": "x"}).status_code == 404
    clerk = login(app.test_client(), "clerk")
    assert clerk.get(f"/timeline/attachment/{files[0].id}").status_code == 403


def test_the_timeline_names_the_records_a_change_points_to(app, admin_client):
    from core.auth.models import User
    from core.partners.models import Partner

    with app.app_context():
        clerk = db.session.execute(sa.select(User).where(User.login == "clerk")).scalar_one()
        company = Partner(name="Công ty TNHH Hoa Sen", is_company=True)
        db.session.add(company)
        db.session.flush()
        person = Partner(name="Nguyễn Thị Mai", parent_id=company.id)
        db.session.add(person)
        db.session.commit()
        person.salesperson_id = clerk.id
        db.session.commit()
        person_id, clerk_name = person.id, clerk.name
    panel = admin_client.get(f"/contacts/partners/{person_id}").text.split("Timeline")[1]
    assert f"→ {clerk_name}" in panel or f"{clerk_name}</li>" in panel
    assert "Công ty TNHH Hoa Sen</li>" in panel  # the company, created with the person


def test_the_timeline_writes_dates_and_numbers_as_the_reader_does(app, books):
    from datetime import date
    from decimal import Decimal

    from tests.fixture_modules.fx_library.models import Book

    with app.app_context():
        book = db.session.get(Book, books)
        book.price, book.published_on = Decimal("1234.5"), date(2026, 1, 5)
        db.session.commit()
    panel = login(app.test_client(), "ann").get(f"/fx/books/{books}").text.split(
        "data-timeline")[1]
    assert "1,234.5" in panel and "Jan 5, 2026" in panel
    assert "2026-01-05" not in panel

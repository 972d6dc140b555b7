"""Partners: the 360° page, duplicate warnings, and merging across modules."""
from __future__ import annotations

import sqlalchemy as sa

from core.db import db
from core.modules import get_registry, lifecycle
from core.partners.duplicates import likely_duplicates, normalise
from core.partners.models import Partner
from core.timeline import TimelineEntry


def add(app, **values):
    with app.app_context():
        partner = Partner(**values)
        db.session.add(partner)
        db.session.commit()
        return partner.id


def test_names_normalise_across_accents_and_company_forms():
    assert normalise("Công ty TNHH Hoa Sen") == normalise("cong ty hoa sen") == "hoa sen"
    assert normalise("上海明珠贸易有限公司") == normalise("上海明珠贸易")


def test_creating_a_likely_duplicate_warns_first(app, admin_client):
    add(app, name="Công ty TNHH Hoa Sen", email="info@hoasen.vn", phone="+84 28 3812 3456")
    for data in ({"name": "Hoa Sen"}, {"name": "Other", "email": "INFO@hoasen.vn"},
                 {"name": "Other", "phone": "028 3812 3456"}):
        warned = admin_client.post("/contacts/partners/new",
                                   data=dict(data, kind="customer", active="y"))
        assert warned.status_code == 409, data
        assert "This looks like a contact you already have" in warned.text
    anyway = admin_client.post("/contacts/partners/new", data={
        "name": "Hoa Sen", "kind": "customer", "active": "y", "confirmed": "1"})
    assert anyway.status_code == 302
    fresh = admin_client.post("/contacts/partners/new", data={
        "name": "Blue River Ltd", "kind": "supplier", "active": "y"})
    assert fresh.status_code == 302


def test_the_duplicate_check_finds_names_and_emails_through_the_search_index(app):
    from sqlalchemy import event

    from core.search import INDEXED_COLUMN, index_table

    add(app, name="Đặng Thị Hoa", email="Hoa.Dang@example.vn")
    seen = []

    def statement(_conn, _cursor, sql, *_args):
        seen.append(sql)

    with app.test_request_context():
        event.listen(db.engine, "before_cursor_execute", statement)
        try:
            by_name = likely_duplicates("dang thi hoa", None, None)
            by_email = likely_duplicates("Someone", "hoa.dang@EXAMPLE.vn", None)
        finally:
            event.remove(db.engine, "before_cursor_execute", statement)
        index = index_table("partner") if db.engine.dialect.name == "sqlite" \
            else INDEXED_COLUMN
    assert [p.name for p in by_name] == [p.name for p in by_email] == ["Đặng Thị Hoa"]
    seen = [sql for sql in seen if sql.startswith("SELECT")]
    assert len(seen) == 2 and all(index in sql for sql in seen), seen  # not a scan


def test_the_duplicate_check_reads_only_names_holding_every_word(app, monkeypatch):
    """A list of "Customer 0001" ... "Customer 0040": a new one's check compares the one
    name holding both words, not every "Customer" (it read 200 a time)."""
    from core.partners import duplicates

    for n in range(40):
        add(app, name=f"Customer {n:04d}")
    compared = []
    real = duplicates.normalise
    monkeypatch.setattr(duplicates, "normalise", lambda name: compared.append(name) or
                        real(name))
    with app.test_request_context():
        assert [p.name for p in likely_duplicates("customer 0007", None, None)] == [
            "Customer 0007"]
        assert likely_duplicates("Customer 0077", None, None) == []
    assert compared == ["customer 0007", "Customer 0007", "Customer 0077"]


def test_company_page_shows_its_people_and_timeline(app, admin_client):
    company = add(app, name="Saigon Coffee", is_company=True)
    add(app, name="Trần Bình", parent_id=company, email="binh@saigoncoffee.vn")
    page = admin_client.get(f"/contacts/partners/{company}").text
    assert "partner-people" in page and "Trần Bình" in page
    assert 'data-timeline="partner:' in page


def test_merge_moves_linked_records_of_every_module(app, admin_client, clerk_client):
    from tests.fixture_modules.fx_loans.models import Loan

    keep = add(app, name="Hoa Sen", email="info@hoasen.vn", is_company=True)
    dupe = add(app, name="Công ty Hoa Sen", is_company=True)
    person = add(app, name="Lý Minh", parent_id=dupe)
    with app.app_context():  # a module's record points at the duplicate; then it is disabled
        lifecycle.enable(get_registry(), ["fx_loans"])
        db.session.add(Loan(book_id=1, borrower="Hoa Sen", partner_id=dupe))
        db.session.commit()
        lifecycle.disable(get_registry(), ["fx_loans"])
    page = admin_client.get(f"/contacts/partners/{dupe}").text
    assert "partner-duplicates" in page
    assert clerk_client.post(f"/contacts/partners/{dupe}/merge", data={"target": keep}
                             ).status_code == 403
    done = admin_client.post(f"/contacts/partners/{dupe}/merge", data={"target": keep})
    assert done.status_code == 302 and done.location.endswith(f"/contacts/partners/{keep}")
    with app.app_context():
        assert db.session.get(Partner, person).parent_id == keep
        assert db.session.get(Partner, dupe).active is False
        notes = db.session.execute(sa.select(TimelineEntry.body).where(
            TimelineEntry.model == "partner", TimelineEntry.record_id == keep,
            TimelineEntry.kind == "note")).scalars().all()
        assert any("Công ty Hoa Sen" in n for n in notes)
        assert likely_duplicates("Hoa Sen", None, None) == [db.session.get(Partner, keep)]
        # the disabled module's data moved too, so it is whole when the module comes back
        assert db.session.execute(sa.select(Loan.partner_id)).scalar() == keep


def test_merging_into_itself_or_nothing_is_refused(app, admin_client):
    one = add(app, name="Alone")
    assert admin_client.post(f"/contacts/partners/{one}/merge",
                             data={"target": one}).status_code == 404
    assert admin_client.post(f"/contacts/partners/{one}/merge",
                             data={"target": "abc"}).status_code == 404


def test_tags_in_the_form_filters_merge_and_api(app, admin_client):
    from core.partners.models import PartnerTag

    from .test_api import Api, token_for

    with app.app_context():
        vip, fair = PartnerTag(name="VIP"), PartnerTag(name="Trade fair")
        db.session.add_all([vip, fair])
        db.session.commit()
        vip_id, fair_id = vip.id, fair.id
    saved = admin_client.post("/contacts/partners/new", data={
        "name": "Minh Long", "kind": "customer", "active": "y",
        "tags": [str(vip_id), str(fair_id)]})
    assert saved.status_code == 302
    other = add(app, name="Blue River")
    listed = admin_client.get(f"/contacts/partners?f.tag={vip_id}").text
    assert "Minh Long" in listed and "Blue River" not in listed
    assert admin_client.get("/contacts/partners?f.tag=abc").status_code == 200
    bad = admin_client.post("/contacts/partners/new", data={
        "name": "X", "kind": "customer", "tags": ["999999"]})
    assert bad.status_code == 422  # a tag that is not offered
    api = Api(app.test_client(), token_for(app, "admin"))
    changed = api("PATCH", f"partner/{other}", {"tag_ids": [fair_id]})
    assert changed.status_code == 200 and changed.json["tag_ids"] == [fair_id]
    assert api("PATCH", f"partner/{other}", {"tag_ids": [fair_id, 10**6]}).status_code == 422
    assert api("PATCH", f"partner/{other}", {"tag_ids": "VIP"}).status_code == 422
    found = api("GET", "partner?name=Minh Long").json["items"]
    assert [p["name"] for p in found] == ["Minh Long"] and found[0]["tag_ids"] == sorted(
        [vip_id, fair_id])
    keep = found[0]["id"]
    done = admin_client.post(f"/contacts/partners/{other}/merge", data={"target": keep})
    assert done.status_code == 302  # both carry "Trade fair": the merge keeps one link
    with app.app_context():
        assert [t.name for t in db.session.get(Partner, keep).tags] == ["Trade fair", "VIP"]
        assert db.session.get(Partner, other).tags == []

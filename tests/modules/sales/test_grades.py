"""The customer grade is sales' extension of core's partner (`sale_partner_grade`): the
contacts list, its CSV export and report, the partner's API resource, its page and its
privacy export show it while sales is enabled, and nothing of it once sales is disabled.
Databases made before the move keep their grades."""
from __future__ import annotations

import json

import sqlalchemy as sa

from core.db import db
from core.modules import get_registry, lifecycle
from core.partners.models import Partner
from modules.sales.models import PartnerGrade

from ...conftest import init_db, make_app
from ...core.test_api import Api, token_for
from .conftest import partner


def customers(app) -> dict[str, int]:
    with app.app_context():
        ids = {name: partner(name, grade=grade).id
               for name, grade in (("Minh Long", "A"), ("Blue River", "C"), ("Ungraded", None))}
        db.session.commit()
        return ids


def test_the_contacts_list_shows_filters_and_groups_by_grade(sales, admin_client):
    ids = customers(sales)
    page = admin_client.get("/contacts/partners").text
    assert 'name="f.grade"' in page and 'class="col-grade" data-label="Grade">A<' in page
    only_a = admin_client.get("/contacts/partners?f.grade=A").text
    assert "Minh Long" in only_a and "Blue River" not in only_a and "Ungraded" not in only_a
    grouped = admin_client.get("/contacts/partners?group=grade").text
    assert 'data-group="A"' in grouped and 'data-group="C"' in grouped
    report = admin_client.get("/contacts/partners/report?rows=grade")
    assert report.status_code == 200 and '<option value="grade" selected' in report.text
    csv = admin_client.get("/contacts/partners/export.csv?f.grade=C").text
    header, *rows = csv.lstrip("\ufeff").splitlines()
    assert header.endswith(",Grade,id") and len(rows) == 1  # the id last: the import's
    assert rows[0].endswith(f",C,{ids['Blue River']}")
    with sales.app_context():
        lifecycle.disable(get_registry(), ["sales"])
    page = admin_client.get("/contacts/partners")
    assert page.status_code == 200 and "f.grade" not in page.text
    assert "col-grade" not in page.text
    # a link kept from before: the filter and the group are no longer there
    assert "Blue River" in admin_client.get("/contacts/partners?f.grade=A").text
    assert admin_client.get("/contacts/partners?group=grade").status_code == 200
    assert admin_client.get("/contacts/partners/report?rows=grade").status_code == 200
    assert "Grade" not in admin_client.get("/contacts/partners/export.csv").text


def test_the_partner_resource_carries_the_grade(sales):
    ids = customers(sales)
    api = Api(sales.test_client(), token_for(sales, "admin"))
    assert api("GET", f"partner/{ids['Minh Long']}").json["grade"] == "A"
    assert api("GET", f"partner/{ids['Ungraded']}").json["grade"] is None
    assert [p["name"] for p in api("GET", "partner?grade=A").json["items"]] == ["Minh Long"]
    assert {p["name"] for p in api("GET", "partner?grade__in=A,C").json["items"]} == {
        "Minh Long", "Blue River"}
    assert [p["name"] for p in api("GET", "partner?order=-grade&grade__in=A,C")
            .json["items"]] == ["Blue River", "Minh Long"]
    # the grading job writes it, nobody else
    assert api("PATCH", f"partner/{ids['Blue River']}", {"grade": "A"}).status_code == 422
    assert "grade" in api("GET", "openapi.json").text
    with sales.app_context():
        lifecycle.disable(get_registry(), ["sales"])
    item = api("GET", f"partner/{ids['Minh Long']}").json
    assert item["name"] == "Minh Long" and "grade" not in item
    assert api("GET", "partner?grade=A").status_code == 400


def test_the_partner_page_and_its_privacy_export_show_the_grade(sales, admin_client):
    ids = customers(sales)
    page = admin_client.get(f"/contacts/partners/{ids['Minh Long']}").text
    assert "partner-grade" in page
    assert "partner-grade" not in admin_client.get(
        f"/contacts/partners/{ids['Ungraded']}").text
    exported = json.loads(admin_client.get(
        f"/contacts/partners/{ids['Minh Long']}/privacy.json").text)
    assert exported["sales"] == {"grade": "A"} and "grade" not in exported["partner"]


def test_a_merge_leaves_one_grade_sales_enabled_or_not(sales, admin_client):
    ids = customers(sales)
    with sales.app_context():
        late = partner("Minh Long Co", grade="B").id
        db.session.commit()
    # both graded: the target keeps its own
    assert admin_client.post(f"/contacts/partners/{late}/merge",
                             data={"target": ids["Minh Long"]}).status_code == 302
    # the target had none: it takes the source's, even with sales disabled
    with sales.app_context():
        lifecycle.disable(get_registry(), ["sales"])
    assert admin_client.post(f"/contacts/partners/{ids['Blue River']}/merge",
                             data={"target": ids["Ungraded"]}).status_code == 302
    with sales.app_context():
        graded = dict(db.session.execute(sa.select(PartnerGrade.partner_id,
                                                   PartnerGrade.grade)).all())
    assert graded == {ids["Minh Long"]: "A", ids["Ungraded"]: "C"}


def test_enabling_sales_moves_grades_out_of_an_older_partner_table(db_url):
    """A database made while core's partner had a `grade` column: sales' migration copies
    the grades into its table and drops the column in place, so nothing pointing at a
    partner is touched (recreating the table would cascade on SQLite)."""
    from core.partners.models import PartnerTag, PartnerTagLink

    app = make_app(db_url)
    init_db(app)
    with app.app_context():
        db.session.execute(sa.text("ALTER TABLE partner ADD COLUMN grade VARCHAR(1)"))
        db.session.execute(sa.text("CREATE INDEX ix_partner_grade ON partner (grade)"))
        tag = PartnerTag(name="VIP")
        db.session.add(tag)
        people = {name: Partner(name=name) for name in ("Graded A", "Graded B", "Never")}
        db.session.add_all(people.values())
        db.session.flush()
        db.session.add(PartnerTagLink(partner_id=people["Graded A"].id, tag_id=tag.id))
        for name, grade in (("Graded A", "A"), ("Graded B", "B")):
            db.session.execute(sa.text("UPDATE partner SET grade = :g WHERE id = :i"),
                               {"g": grade, "i": people[name].id})
        db.session.commit()
        ids = {name: p.id for name, p in people.items()}
        lifecycle.enable(get_registry(), ["sales"])
        assert dict(db.session.execute(sa.select(PartnerGrade.partner_id,
                                                 PartnerGrade.grade)).all()) == {
            ids["Graded A"]: "A", ids["Graded B"]: "B"}
        inspector = sa.inspect(db.engine)
        assert "grade" not in {c["name"] for c in inspector.get_columns("partner")}
        assert db.session.execute(sa.select(sa.func.count(Partner.id))).scalar() == 3
        assert db.session.execute(sa.select(PartnerTagLink.partner_id)).scalars().all() == [
            ids["Graded A"]]
        # purged with sales: its table goes, partners stay
        lifecycle.disable(get_registry(), ["sales"])
        lifecycle.uninstall(get_registry(), ["sales"])
        assert "sale_partner_grade" not in sa.inspect(db.engine).get_table_names()
        assert db.session.execute(sa.select(sa.func.count(Partner.id))).scalar() == 3
        db.session.remove()
        db.engine.dispose()

"""Pickers on the contact form (issue 15): the country and the language chosen from names in
the reader's language and stored as codes (a code that is none refused by the form, the
import and the API), the company someone works at chosen among companies only, and tags
in a searchable multi-select."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.db import db
from core.partners.models import Partner

from ..conftest import add_user, login
from .test_api import Api, token_for
from .test_csv_transfer import CONTACTS, _own_instance, token_of, upload  # noqa: F401

NEW = f"{CONTACTS}/new"


@pytest.fixture
def readers(app):
    """A contacts user reading each language."""
    with app.app_context():
        for login_name, lang in (("en", "en"), ("vi", "vi"), ("zh", "zh_CN")):
            add_user(login_name).lang = lang
        db.session.commit()
    return {lang: login(app.test_client(), login_name)
            for login_name, lang in (("en", "en"), ("vi", "vi"), ("zh", "zh_CN"))}


def stored(app, name):
    with app.app_context():
        return db.session.execute(sa.select(Partner).where(Partner.name == name)).scalar_one()


def option(page, value):
    """The text of the <option value="..."> of the page's country select."""
    select = page.split('name="country"')[1].split("</select>")[0]
    return select.split(f'value="{value}"')[1].split(">")[1].split("<")[0]


def test_country_is_chosen_by_its_name_in_the_readers_language(app, readers):
    assert (option(readers["en"].get(NEW).text, "DE"),
            option(readers["vi"].get(NEW).text, "DE"),
            option(readers["zh_CN"].get(NEW).text, "DE")) == ("Germany", "Đức", "德国")
    assert option(readers["zh_CN"].get(NEW).text, "SG") == "新加坡"
    page = readers["vi"].get(NEW).text
    assert 'data-lookup=""' in page.split('name="country"')[0].rsplit("<select", 1)[1]
    for code in ("EU", "ZZ", "IC", "AC"):  # not countries
        assert f'value="{code}"' not in page
    saved = readers["vi"].post(NEW, data={"name": "Lion City", "kind": "customer",
                                          "country": "SG"})
    assert saved.status_code == 302
    assert stored(app, "Lion City").country == "SG"
    refused = readers["en"].post(NEW, data={"name": "Si", "kind": "customer",
                                            "country": "Singapore"})
    assert refused.status_code == 422 and "Not a valid choice" in refused.text
    listed = readers["zh_CN"].get(f"{CONTACTS}?group=country").text
    assert "新加坡" in listed
    lion = stored(app, "Lion City").id
    moved = readers["en"].post(f"{CONTACTS}/{lion}", data={
        "name": "Lion City", "kind": "customer", "country": "DE"})
    assert moved.status_code == 302
    timeline = readers["vi"].get(f"{CONTACTS}/{lion}").text.split("timeline", 1)[1]
    assert "Singapore" in timeline and "Đức" in timeline  # the change, in the reader's words


def test_the_save_path_and_the_api_refuse_a_code_that_is_no_country(app):
    api = Api(app.test_client(), token_for(app, "admin"))
    assert api("POST", "partner", {"name": "Ok", "country": "SG"}).status_code == 201
    for code in ("Si", "XX", "EU", "sg"):
        answer = api("POST", "partner", {"name": "Bad", "country": code})
        assert answer.status_code == 422 and "country" in answer.text, code
    assert api("POST", "partner", {"name": "Speaks", "lang": "vi"}).status_code == 201
    assert api("POST", "partner", {"name": "Bad", "lang": "Vietnamese"}).status_code == 422


def test_import_reads_a_country_by_code_or_name_in_english_or_the_importers_language(
        app, readers):
    text = ("name,kind,country,lang\n"
            "A,customer,Singapore,Tiếng Việt\nB,customer,sg,vi\nC,customer,Đức,\n"
            "D,customer,germany,\nE,customer,Atlantis,\n")
    preview = upload(readers["vi"], CONTACTS, text)
    assert preview.text.count("row-error") == 1  # Atlantis only
    readers["vi"].post(f"{CONTACTS}/import", data={"token": token_of(preview),
                                                     "mode": "valid"})
    assert [stored(app, n).country for n in "ABCD"] == ["SG", "SG", "DE", "DE"]
    assert stored(app, "A").lang == "vi"
    with app.app_context():
        assert db.session.execute(sa.select(Partner).where(Partner.name == "E")).first() is None


def test_language_is_a_picker_of_the_deployments_languages(app, readers):
    page = readers["en"].get(NEW).text
    select = page.split('name="lang"')[1].split("</select>")[0]
    assert ">Tiếng Việt<" in select and ">简体中文<" in select
    app.config["ERP_LOCALES"] = ["en", "vi"]
    select = readers["en"].get(NEW).text.split('name="lang"')[1].split("</select>")[0]
    assert "简体中文" not in select
    refused = readers["en"].post(NEW, data={"name": "Z", "kind": "customer", "lang": "zh_CN"})
    assert refused.status_code == 422


def test_the_two_company_fields_say_what_they_are(readers):
    page = readers["en"].get(NEW).text
    assert ">Is a company</label>" in page and ">Works at</label>" in page


def test_the_company_someone_works_at_is_chosen_among_companies(app, readers):
    with app.app_context():
        acme = Partner(name="Acme Holdings", is_company=True)
        person = Partner(name="Acme Fan", is_company=False)
        db.session.add_all([acme, person])
        db.session.commit()
        acme_id, person_id = acme.id, person.id
    page = readers["en"].get(NEW).text
    select = page.split('name="parent_id"')[1].split("</select>")[0]
    assert "Acme Holdings" in select and "Acme Fan" not in select
    narrowed = page.split('name="parent_id"')[0].rsplit("<select", 1)[1]
    assert "field=partner.parent_id" in narrowed
    found = readers["en"].get("/lookup/partner", query_string={
        "q": "acme", "field": "partner.parent_id"}).get_json()["items"]
    assert [name for _id, name in found] == ["Acme Holdings"]
    assert readers["en"].get("/lookup/partner?q=a&field=partner.nothing").status_code == 404
    refused = readers["en"].post(NEW, data={"name": "Joe", "kind": "customer",
                                            "parent_id": str(person_id)})
    assert refused.status_code == 422 and "Choose a company, not a person." in refused.text
    assert readers["en"].post(NEW, data={"name": "Jane", "kind": "customer",
                                         "parent_id": str(acme_id)}).status_code == 302
    api = Api(app.test_client(), token_for(app, "admin"))
    answer = api("POST", "partner", {"name": "Joe", "parent_id": person_id})
    assert answer.status_code == 422 and "parent_id" in answer.text
    preview = upload(readers["en"], CONTACTS, "name,kind,Works at\nKim,customer,Acme Fan\n")
    done = readers["en"].post(f"{CONTACTS}/import", data={
        "token": token_of(preview), "mode": "valid"}, follow_redirects=True)
    assert "0 created, 0 updated, 1 rejected" in done.text


def test_tags_are_a_searchable_multi_select(app, readers):
    from core.partners.models import PartnerTag

    with app.app_context():
        db.session.add(PartnerTag(name="VIP"))
        db.session.commit()
    page = readers["vi"].get(NEW).text
    tags = page.split('name="tags"')[0].rsplit("<select", 1)[1]
    assert "multiple" in tags and "data-multiselect" in tags
    assert "js/multiselect.js" in page


def test_a_select_writes_its_options_as_wtforms_does():
    from wtforms import Form, widgets

    from core.ui.forms import ManyField, SelectField

    class Picks(Form):
        one = SelectField(choices=[("", "—"), ('x"<', "A & B"), ("7", "Đặng <b>")])
        many = ManyField(choices=[(1, "Gold"), (2, "Silver & co")], coerce=int)

    form = Picks(data={"one": 'x"<', "many": [2]})
    assert form.one() == widgets.Select()(form.one)  # escaped and selected alike
    assert form.many() == widgets.Select(multiple=True)(form.many)
    assert '<option selected value="x&#34;&lt;">A &amp; B</option>' in form.one()

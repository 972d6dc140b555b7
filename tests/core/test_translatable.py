"""Translatable fields (core.translatable): values kept per language, edited side by side in
the form, read in the reader's language with a fallback to the default language's value,
searched, filtered and sorted in it in SQL (lists, pickers, the board, CSV export, the
API), written per language through the API, printed in the customer's language, and the
default records a module makes stored in every language its catalogs know."""
from __future__ import annotations

import html
import re
from decimal import Decimal
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import translatable
from core.auth.models import User
from core.db import db
from core.modules import get_registry, lifecycle
from core.partners.models import Partner

from ..conftest import add_user, login
from .test_api import Api, token_for

PRODUCTS = [  # English (the default language), Vietnamese, Chinese (None: not translated)
    ("Apple juice", "Nước táo", "苹果汁"),
    ("Coffee beans", "Cà phê hạt", "咖啡豆"),
    ("Green tea", "Trà xanh", None),
]


@pytest.fixture
def shop(app):
    """Sales and billing enabled, the products above, and a user reading each language
    (`en`, `vi`, `zh`: managers, who see every record)."""
    from modules.sales.models import Product

    with app.app_context():
        lifecycle.enable(get_registry(), ["sales", "billing"])
        for login_name, lang in (("en", "en"), ("vi", "vi"), ("zh", "zh_CN")):
            add_user(login_name, {"sales.manager", "billing.manager"}).lang = lang
        for name, vi, zh in PRODUCTS:
            product = Product(name=name, list_price=Decimal(10))
            translatable.set_translations(product, "name", {"vi": vi, "zh_CN": zh})
            db.session.add(product)
        db.session.commit()
        app.product_ids = dict(db.session.execute(sa.select(Product.name, Product.id)).all())
    return app


def client(app, who):
    return login(app.test_client(), who)


def names(response) -> list[str]:
    """The product names of a list page, in order."""
    assert response.status_code == 200, response.text
    return [html.unescape(m) for m in re.findall(
        r'<td class="col-name"[^>]*><a href="[^"]+">([^<]*)</a>', response.text)]


# -- storing and reading -----------------------------------------------------------------
def test_the_column_keeps_the_default_language_and_json_the_others(shop):
    from modules.sales.models import Product

    with shop.app_context():
        juice = db.session.get(Product, shop.product_ids["Apple juice"])
        assert juice.name == "Apple juice"
        assert juice.name_translations == {"vi": "Nước táo", "zh_CN": "苹果汁"}
        tea = db.session.get(Product, shop.product_ids["Green tea"])
        assert tea.name_translations == {"vi": "Trà xanh"}  # nothing empty is kept
        assert translatable.value(tea, "name", "vi") == "Trà xanh"
        assert translatable.value(tea, "name", "zh_CN") == "Green tea"  # the fallback
        assert translatable.value(tea, "name", "en") == "Green tea"
        for lang in ("en", "vi", "zh_CN"):  # SQL and Python agree
            assert db.session.execute(sa.select(translatable.expression(Product, "name", lang))
                                      .where(Product.id == tea.id)).scalar() == \
                translatable.value(tea, "name", lang)
        translatable.set_translations(tea, "name", {"vi": "", "zh_CN": "绿茶"})
        assert tea.name_translations == {"zh_CN": "绿茶"}


def test_the_list_reads_searches_and_sorts_in_the_readers_language(shop, monkeypatch):
    en, vi, zh = client(shop, "en"), client(shop, "vi"), client(shop, "zh")
    url = "/sales/products?sort=name"
    assert names(en.get(url)) == ["Apple juice", "Coffee beans", "Green tea"]
    assert names(vi.get(url)) == ["Cà phê hạt", "Nước táo", "Trà xanh"]
    # tea falls back; Chinese order (PostgreSQL's zh-x-icu) puts Han before Latin letters
    assert names(zh.get(url)) in (["Green tea", "咖啡豆", "苹果汁"],
                                  ["咖啡豆", "苹果汁", "Green tea"])
    assert names(vi.get(url + "&q=tr")) == ["Trà xanh"]
    assert names(vi.get(url + "&q=green")) == []  # searched in the reader's language
    assert names(zh.get(url + "&q=green")) == ["Green tea"]  # ... which falls back
    assert names(en.get(url + "&q=tr")) == []
    # keyset pages follow the translated order
    monkeypatch.setattr("core.ui.generic.listing.PAGE_SIZE", 2)
    first = vi.get(url)
    assert names(first) == ["Cà phê hạt", "Nước táo"]
    after = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert names(vi.get(html.unescape(after))) == ["Trà xanh"]
    descending = vi.get(url.replace("name", "-name"))
    assert names(descending) == ["Trà xanh", "Nước táo"]


def test_the_csv_export_follows_the_reader(shop):
    vi = client(shop, "vi")
    export = vi.get("/sales/products/export.csv?sort=name")
    assert export.status_code == 200
    lines = export.text.lstrip("\ufeff").splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["Cà phê hạt", "Nước táo", "Trà xanh"]


def test_form_edits_every_language_side_by_side(shop):
    from modules.sales.models import Product

    vi = client(shop, "vi")
    page = vi.get("/sales/products/new")
    assert page.status_code == 200
    text = page.text
    # one row: the default language, then each other one, labelled with its name
    row = text.split('class="row g-2 translations"', 1)[1].split("</div>\n  </div>", 1)[0]
    assert row.index('id="name"') < row.index('name="name_translations-vi"') < row.index(
        'name="name_translations-zh_CN"')
    assert "English" in row and "Tiếng Việt" in row and "简体中文" in row
    assert 'name="description_translations-vi"' in text
    saved = vi.post("/sales/products/new", data={
        "name": "Black tea", "name_translations-vi": " Trà đen ", "name_translations-zh_CN": "",
        "description": "Strong", "description_translations-zh_CN": "浓",
        "unit": "unit", "list_price": "5", "cost": "0", "tax_rate": "0", "active": "y"})
    assert saved.status_code == 302, saved.text
    with shop.app_context():
        tea = db.session.execute(sa.select(Product).where(Product.name == "Black tea")
                                 ).scalar_one()
        assert tea.name_translations == {"vi": "Trà đen"}
        assert tea.description_translations == {"zh_CN": "浓"}
        tea_id = tea.id
    edit = vi.get(f"/sales/products/{tea_id}")
    assert 'value="Trà đen"' in edit.text and 'value="Black tea"' in edit.text
    # renaming one language leaves the others
    vi.post(f"/sales/products/{tea_id}", data={
        "name": "Black tea", "name_translations-vi": "Hồng trà",
        "name_translations-zh_CN": "红茶", "unit": "unit", "list_price": "5", "cost": "0",
        "tax_rate": "0", "active": "y"})
    with shop.app_context():
        tea = db.session.get(Product, tea_id)
        assert (tea.name, tea.name_translations) == (
            "Black tea", {"vi": "Hồng trà", "zh_CN": "红茶"})
    history = html.unescape(vi.get(f"/sales/products/{tea_id}").text)
    assert "Tiếng Việt: Hồng trà; 简体中文: 红茶" in history  # the timeline, readable
    too_long = vi.post(f"/sales/products/{tea_id}", data={
        "name": "Black tea", "name_translations-vi": "x" * 201, "unit": "unit",
        "list_price": "5", "cost": "0", "tax_rate": "0"})
    assert too_long.status_code == 422
    assert "Tiếng Việt" in too_long.text


def test_pickers_and_lookups_search_and_sort_in_the_readers_language(shop):
    vi, zh = client(shop, "vi"), client(shop, "zh")
    found = vi.get("/lookup/product", query_string={"q": "trà"}).get_json()["items"]
    assert [name for _id, name in found] == ["Trà xanh"]
    found = zh.get("/lookup/product", query_string={"q": "咖啡"}).get_json()["items"]
    assert [name for _id, name in found] == ["咖啡豆"]
    rule = vi.get("/sales/price_rules/new").text
    options = re.findall(r'<option value="\d+">([^<]+)</option>',
                         rule.split('name="product_id"', 1)[1].split("</select>", 1)[0])
    assert options == ["Cà phê hạt", "Nước táo", "Trà xanh"]


def test_stages_reasons_and_sources_are_stored_in_every_language(shop):
    from modules.sales.models import LeadSource, LostReason, Stage

    with shop.app_context():
        stages = {s.name: s.name_translations for s in db.session.execute(
            sa.select(Stage)).scalars()}
        assert stages["New"] == {"vi": "Mới", "zh_CN": "新建"}
        assert set(stages) == {"New", "Qualified", "Proposal", "Negotiation", "Won", "Lost"}
        assert all(t and set(t) == {"vi", "zh_CN"} for t in stages.values())
        source = db.session.execute(sa.select(LeadSource).where(
            LeadSource.name == "Trade fair")).scalar_one()
        assert source.name_translations == {"vi": "Hội chợ", "zh_CN": "展会"}
        assert db.session.execute(sa.select(sa.func.count()).select_from(LostReason).where(
            LostReason.name_translations.is_(None))).scalar() == 0


def test_the_board_filters_and_renamed_stages_follow_each_language(shop):
    from modules.sales.models import Stage

    with shop.app_context():
        new = db.session.execute(sa.select(Stage).where(Stage.name == "New")).scalar_one()
        translatable.set_translations(new, "name", {"vi": "Khách mới"})  # renamed in vi only
        db.session.commit()
    vi, zh = client(shop, "vi"), client(shop, "zh")
    board = vi.get("/sales/opportunities/board").text
    assert "Khách mới" in board and "Đàm phán" in board
    assert "新建" in zh.get("/sales/opportunities/board").text  # zh keeps its name
    listing = vi.get("/sales/opportunities").text  # the stage filter offers vi names
    assert "Khách mới" in listing.split('name="f.stage_id"', 1)[1].split("</select>", 1)[0]


def test_a_name_typed_in_another_language_falls_back_to_the_default(shop):
    from modules.sales.models import Stage

    with shop.app_context():
        db.session.add(Stage(name="Demo booked", sequence=25))
        db.session.commit()
    assert "Demo booked" in client(shop, "vi").get("/sales/opportunities/board").text


# -- the API -----------------------------------------------------------------------------
def test_the_api_reads_in_the_users_language_or_every_language(shop):
    vi = Api(shop.test_client(), token_for(shop, "vi"))
    juice = shop.product_ids["Apple juice"]
    assert vi("GET", f"product/{juice}").json["name"] == "Nước táo"
    assert "name_translations" not in vi("GET", f"product/{juice}").json
    every = vi("GET", f"product/{juice}?translations=1").json
    assert every["name"] == "Apple juice"
    assert every["name_translations"] == {"vi": "Nước táo", "zh_CN": "苹果汁"}
    zh = Api(shop.test_client(), token_for(shop, "zh"))
    assert zh("GET", f"product/{shop.product_ids['Green tea']}").json["name"] == "Green tea"
    # filtered and sorted in the user's language
    listed = vi("GET", "product?order=-name").json["items"]
    assert [p["name"] for p in listed] == ["Trà xanh", "Nước táo", "Cà phê hạt"]
    assert [p["name"] for p in vi("GET", "product?name__contains=phê").json["items"]] == [
        "Cà phê hạt"]
    assert [p["name"] for p in vi("GET", "product?name=Nước táo").json["items"]] == [
        "Nước táo"]
    assert vi("GET", "product?name=Apple juice").json["items"] == []
    assert vi("GET", "product?translations=1&name=Nước táo").json["total"] == 1
    assert vi("GET", "product?name_translations=x").status_code == 400


def test_the_api_writes_in_the_users_language_or_every_language(shop):
    from modules.sales.models import Product

    vi = Api(shop.test_client(), token_for(shop, "vi"))
    juice = shop.product_ids["Apple juice"]
    changed = vi("PATCH", f"product/{juice}", {"name": "Nước ép táo"})
    assert changed.status_code == 200, changed.json
    assert changed.json["name"] == "Nước ép táo"
    every = vi("PATCH", f"product/{juice}?translations=1",
               {"name": "Apple juice (1 l)", "name_translations": {"zh_CN": None}})
    assert every.status_code == 200, every.json
    assert every.json["name"] == "Apple juice (1 l)"
    assert every.json["name_translations"] == {"vi": "Nước ép táo"}
    made = vi("POST", "product", {"name": "Bánh mì", "list_price": "2"})
    assert made.status_code == 201, made.json
    made_all = vi("POST", "product?translations=1", {
        "name": "Orange juice", "list_price": "3",
        "name_translations": {"vi": "Nước cam", "zh_CN": "橙汁"}})
    assert made_all.status_code == 201, made_all.json
    with shop.app_context():
        juice_row = db.session.get(Product, juice)
        assert (juice_row.name, juice_row.name_translations) == (
            "Apple juice (1 l)", {"vi": "Nước ép táo"})
        bread = db.session.get(Product, made.json["id"])  # every reader has a value
        assert (bread.name, bread.name_translations) == ("Bánh mì", {"vi": "Bánh mì"})
        orange = db.session.get(Product, made_all.json["id"])
        assert orange.name_translations == {"vi": "Nước cam", "zh_CN": "橙汁"}
    for bad in ({"xx": "a"}, {"vi": 5}, ["vi"], {"vi": "x" * 201}, {"vi": "a\x00"}):
        refused = vi("PATCH", f"product/{juice}?translations=1", {"name_translations": bad})
        assert refused.status_code == 422, (bad, refused.json)
        assert "name_translations" in refused.json["error"]["details"]


def test_openapi_documents_the_translations(shop):
    from openapi_spec_validator import validate

    spec = shop.test_client().get("/api/v1/openapi.json").get_json()
    validate(spec)
    product = spec["components"]["schemas"]["product"]["properties"]
    assert product["name_translations"]["type"] == "object"
    assert set(product["name_translations"]["properties"]) == {"en", "vi", "zh_CN"}
    assert "name_translations" in spec["components"]["schemas"]["product.input"]["properties"]
    params = spec["paths"]["/api/v1/product/{id}"]["parameters"]
    assert any(p["name"] == "translations" for p in params)


TEXTS = st.none() | st.text(max_size=210) | st.integers() | st.lists(st.text(max_size=3))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_generated_translations_never_get_a_500(shop, data):
    api = Api(shop.test_client(), token_for(shop, data.draw(st.sampled_from(["vi", "en"]))))
    juice = shop.product_ids["Apple juice"]
    method, path = data.draw(st.sampled_from([("PATCH", f"product/{juice}"),
                                              ("POST", "product"), ("GET", "product"),
                                              ("GET", f"product/{juice}")]))
    query = data.draw(st.dictionaries(
        st.sampled_from(["translations", "name", "name__contains", "name__in", "order",
                         "name_translations"]),
        st.sampled_from(["1", "0", "true", "name", "-name", "", "Nước", "%"]) | st.text(
            max_size=6), max_size=3))
    body = None
    if method != "GET":
        body = data.draw(st.fixed_dictionaries({}, optional={
            "name": TEXTS, "list_price": st.just("1"),
            "name_translations": TEXTS | st.dictionaries(
                st.sampled_from(["en", "vi", "zh_CN", "fr", ""]), TEXTS, max_size=3)}))
    response = api(method, f"{path}?{urlencode(query)}" if query else path, body)
    assert response.status_code < 500, (method, path, query, body, response.data[:300])


# -- printed documents -------------------------------------------------------------------
def test_a_quotation_prints_in_the_customers_language(shop):
    from modules.sales import services
    from modules.sales.models import Product

    with shop.app_context():
        beans = db.session.get(Product, shop.product_ids["Coffee beans"])
        beans.description = "Arabica, roasted"
        beans.description_translations = {"vi": "Arabica, rang xay"}
        customer = Partner(name="Quán Cà Phê Sáng", lang="vi")
        english = Partner(name="Morning Café", lang="en")
        db.session.add_all([customer, english])
        db.session.flush()
        user_id = db.session.execute(sa.select(User.id).where(User.login == "en")).scalar()
        ids = []
        for partner in (customer, english):
            made = services.create_order(partner.id, [
                {"product_id": beans.id, "quantity": Decimal(2)},
                {"description": "Delivery to the shop", "quantity": Decimal(1),
                 "price_unit": Decimal(3)}], user_id=user_id)
            ids.append(made.id)
        db.session.commit()
    en = client(shop, "en")  # the salesperson reads English; the documents do not
    printed = en.get(f"/sales/orders/{ids[0]}/print")
    assert printed.status_code == 200, printed.text
    assert "Cà phê hạt" in printed.text and "Arabica, rang xay" in printed.text
    assert "Báo giá" in printed.text  # "Quotation", in the customer's language
    assert 'lang="vi"' in printed.text
    assert "Delivery to the shop" in printed.text  # typed text stays as typed
    assert "Coffee beans" not in printed.text
    other = en.get(f"/sales/orders/{ids[1]}/print").text
    assert "Coffee beans" in other and "Arabica, roasted" in other and "Quotation" in other
    # the page the salesperson works on stays in their language
    assert "Cà phê hạt" not in en.get("/sales/products").text


def test_an_invoice_prints_product_and_payment_term_in_the_customers_language(shop):
    from modules.billing import services as billing
    from modules.billing.models import PaymentTerm

    with shop.app_context():
        term = db.session.execute(sa.select(PaymentTerm).where(
            PaymentTerm.name == "30 days")).scalar_one()
        translatable.set_translations(term, "name", {"zh_CN": "30天"})
        customer = Partner(name="上海咖啡", lang="zh_CN")
        db.session.add(customer)
        db.session.flush()
        billing.set_term(customer.id, term.id)
        invoice = billing.create_invoice(customer.id, [{
            "product_id": shop.product_ids["Apple juice"], "description": "Apple juice",
            "quantity": Decimal(1), "price_unit": Decimal(4)}])
        db.session.commit()
        invoice_id = invoice.id
    printed = client(shop, "en").get(f"/billing/invoices/{invoice_id}/print")
    assert printed.status_code == 200, printed.text
    assert "苹果汁" in printed.text and "30天" in printed.text
    assert "Apple juice" not in printed.text


# -- databases made before -----------------------------------------------------------------
def test_a_migration_gives_old_default_records_their_translations(shop):
    """A database from before: the stages were stored in English only. Going down to
    sales_0003 and up again fills those that still carry their English name; a stage the
    team renamed keeps its name and gets nothing."""
    from alembic import command

    from core.modules import migrations
    from modules.sales.models import Stage

    with shop.app_context():
        conn = db.session.connection()
        cfg = migrations.alembic_config(get_registry(), conn)
        command.downgrade(cfg, "sales_0003")
        conn.execute(sa.text("UPDATE sale_stage SET name = 'Offer' WHERE name = 'Proposal'"))
        command.upgrade(cfg, "sales@head")
        db.session.commit()
        stages = {s.name: s.name_translations for s in db.session.execute(
            sa.select(Stage)).scalars()}
        assert stages["Negotiation"] == {"vi": "Đàm phán", "zh_CN": "谈判"}
        assert stages["Offer"] is None
        assert "Proposal" not in stages

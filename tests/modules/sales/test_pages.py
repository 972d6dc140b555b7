"""The sales pages a salesperson uses all day: the quotation editor, confirming and
printing, a lead's buttons, the pool, the forecast and analysis pages, the configuration,
and the sales panel on a customer's page."""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.db import db
from core.errors import Refusal
from core.partners.models import Partner
from core.settings import get_setting, set_setting
from modules.sales import services
from modules.sales.models import Lead, Order, OrderLine

from .conftest import acting, count, lead, opportunity, order, partner, product, stage

YEAR = date.today().year


def editor_lines(*rows):
    """Form fields of the quotation editor: (product id, description, qty, price, disc)."""
    keys = ("line_product_id", "line_description", "line_quantity", "line_price_unit",
            "line_discount")
    # the editor always posts one empty row at the end
    rows = [*rows, ("", "", "", "", "")]
    return {key: [str(row[i]) for row in rows] for i, key in enumerate(keys)}


@pytest.fixture
def shop(sales):
    with sales.app_context():
        ids = {"customer": partner("Hoa Sen", kind="prospect").id,
               "beans": product("Coffee beans", "19.99", tax="8").id}
        db.session.commit()
    return ids


def test_create_a_quotation_in_the_editor(sales, sam_client, shop):
    saved = sam_client.post("/sales/orders/new", data={
        "partner_id": shop["customer"], "note": "Delivery on Monday",
        **editor_lines((shop["beans"], "", "3", "", "10"), ("", "Delivery", "1", "5", ""))})
    assert saved.status_code == 302, saved.text
    with sales.app_context():
        made = db.session.execute(sa.select(Order)).scalar_one()
        assert saved.location.endswith(f"/sales/orders/{made.id}")
        assert (made.name, made.user_id, made.created_by_id, made.note) == (
            f"SO{YEAR}-00001", sales.ids["sam"], sales.ids["sam"], "Delivery on Monday")
        assert (made.amount_untaxed, made.amount_tax, made.amount_total) == (
            Decimal("58.97"), Decimal("4.32"), Decimal("63.29"))
        assert db.session.execute(sa.select(OrderLine.description).order_by(
            OrderLine.sequence)).scalars().all() == ["Coffee beans", "Delivery"]
    page = sam_client.get(f"/sales/orders/{made.id}").text
    assert "63.29" in page.split("doc-total\">")[1] and "state-draft" in page


def test_a_bad_line_shows_the_form_again_and_saves_nothing(sales, sam_client, shop):
    refused = sam_client.post("/sales/orders/new", data={
        "partner_id": shop["customer"], **editor_lines((shop["beans"], "", "abc", "", ""))})
    assert refused.status_code == 422
    assert "Line 1: enter numbers for quantity, price, discount and tax" in refused.text
    assert f'<option value="{shop["customer"]}" selected>' in refused.text  # kept
    zero = sam_client.post("/sales/orders/new", data={
        "partner_id": shop["customer"], **editor_lines((shop["beans"], "", "0", "", ""))})
    assert zero.status_code == 422 and "must be above zero" in zero.text
    with sales.app_context():
        assert count(Order) == count(OrderLine) == 0


def test_a_quotation_started_from_a_customer_has_them_chosen(sales, sam_client, shop):
    page = sam_client.get(f"/sales/orders/new?partner_id={shop['customer']}")
    assert page.status_code == 200
    assert f'<option value="{shop["customer"]}" selected>' in page.text


def test_numbers_that_are_not_amounts_are_refused(sales, sam_client, shop):
    with sales.app_context():
        made = order(shop["customer"], user_id=sales.ids["sam"]).id
        db.session.commit()
    for quantity in ("NaN", "Infinity", "-0", "1000000000"):
        refused = sam_client.post(f"/sales/orders/{made}",
                                  data=editor_lines(("", "Goods", quantity, "1", "")))
        assert refused.status_code == 422, quantity
        assert "order-error" in refused.text, quantity
    with sales.app_context():
        assert db.session.get(Order, made).amount_total == Decimal("20.00")


def test_a_huge_quantity_is_refused_with_the_form(sales, sam_client, shop):
    with sales.app_context():
        made = order(shop["customer"], user_id=sales.ids["sam"]).id
        db.session.commit()
    refused = sam_client.post(f"/sales/orders/{made}",
                              data=editor_lines(("", "Goods", "1e99", "1", "")))
    assert refused.status_code == 422 and "order-error" in refused.text


def test_a_quotation_without_customer_is_refused(sales, sam_client, shop):
    refused = sam_client.post("/sales/orders/new",
                              data=editor_lines((shop["beans"], "", "1", "", "")))
    assert refused.status_code == 422 and "Choose a customer." in refused.text
    with sales.app_context():
        assert count(Order) == 0


def test_edit_confirm_and_print(sales, sam_client, shop):
    with sales.app_context():
        made = order(shop["customer"], user_id=sales.ids["sam"]).id
        db.session.commit()
    edited = sam_client.post(f"/sales/orders/{made}", data={
        "note": "Net 30", **editor_lines((shop["beans"], "", "3", "19.99", "10"))})
    assert edited.status_code == 302
    bad = sam_client.post(f"/sales/orders/{made}", data=editor_lines(("", "x", "abc", "", "")))
    assert bad.status_code == 422 and "enter numbers" in bad.text
    confirmed = sam_client.post(f"/sales/orders/{made}/confirm")
    assert confirmed.status_code == 302
    with sales.app_context():
        stored = db.session.get(Order, made)
        assert (stored.state, stored.amount_total, stored.note) == (
            "confirmed", Decimal("58.29"), "Net 30")
        assert db.session.get(Partner, shop["customer"]).kind == "customer"
    page = sam_client.get(f"/sales/orders/{made}").text
    assert "state-confirmed" in page and "line_quantity" not in page  # no longer editable
    with sales.app_context():
        set_setting("company_name", "Saigon Coffee Trading")  # Settings → General
        set_setting("company_tax_id", "0312345678")
        db.session.commit()
    printed = sam_client.get(f"/sales/orders/{made}/print")
    assert printed.status_code == 200
    text = printed.text
    assert f"Sales order SO{YEAR}-00001" in text and "Hoa Sen" in text
    company = text.split('class="company"')[1].split("</header>")[0]
    assert "Saigon Coffee Trading" in company and "0312345678" in company
    assert "Coffee beans" in text and "53.97" in text and "4.32" in text
    assert "58.29" in text.split('class="total"')[1]
    # a second confirm is refused with a message, not an error
    again = sam_client.post(f"/sales/orders/{made}/confirm", follow_redirects=True)
    assert again.status_code == 200 and "cannot be done now" in again.text


def test_a_refusing_module_shows_its_reason(sales, sam_client, shop):
    from .conftest import connected

    with sales.app_context():
        made = order(shop["customer"], user_id=sales.ids["sam"]).id
        db.session.commit()
        with connected("sale.order.confirming",
                       lambda sender, **kw: Refusal("Over the credit limit")):
            shown = sam_client.post(f"/sales/orders/{made}/confirm", follow_redirects=True)
            # only managers may confirm past a refusal
            assert sam_client.post(f"/sales/orders/{made}/confirm",
                                   data={"override": "I say so"}).status_code == 403
    assert "Over the credit limit" in shown.text
    with sales.app_context():
        assert db.session.get(Order, made).state == "draft"


def test_a_manager_confirms_past_a_refusal_and_the_reason_is_kept(sales, mia_client, shop):
    from core.timeline import TimelineEntry

    from .conftest import connected

    with sales.app_context():
        made = order(shop["customer"], user_id=sales.ids["sam"]).id
        db.session.commit()

        def credit_check(sender, override=None, **kwargs):
            return None if override else Refusal("Over the credit limit")

        with connected("sale.order.confirming", credit_check):
            done = mia_client.post(f"/sales/orders/{made}/confirm",
                                   data={"override": "Paid in advance"})
    assert done.status_code == 302
    with sales.app_context():
        assert db.session.get(Order, made).state == "confirmed"
        notes = db.session.execute(sa.select(TimelineEntry.body).where(
            TimelineEntry.model == "sale.order", TimelineEntry.record_id == made,
            TimelineEntry.kind == "note")).scalars().all()
        assert any("Paid in advance" in (note or "") for note in notes), notes


def test_lead_buttons_claim_convert_win_and_lose(sales, sam_client):
    with sales.app_context():
        waiting = lead("Coffee machines", company_name="Saigon Coffee",
                       contact_name="Trần Bình", email="binh@saigoncoffee.vn").id
        other = lead("Lost cause", company_name="Nobody").id
        db.session.commit()
    page = sam_client.get(f"/sales/leads/{waiting}").text
    assert "/claim" in page and "record-actions" in page
    claimed = sam_client.post(f"/sales/leads/{waiting}/claim", data={"next": "/sales/pool"})
    assert claimed.status_code == 302 and claimed.location.endswith("/sales/pool")
    converted = sam_client.post(f"/sales/leads/{waiting}/convert")
    assert converted.location.endswith(f"/sales/opportunities/{waiting}")
    assert "/won" in sam_client.get(f"/sales/opportunities/{waiting}").text
    assert sam_client.post(f"/sales/leads/{waiting}/won").status_code == 302
    with sales.app_context():
        won = db.session.get(Lead, waiting)
        assert (won.user_id, won.type, won.outcome) == (sales.ids["sam"], "opportunity", "won")
        assert db.session.get(Partner, won.partner_id).name == "Saigon Coffee"
    sam_client.post(f"/sales/leads/{other}/claim")
    sam_client.post(f"/sales/leads/{other}/convert")
    with sales.app_context():
        reason = db.session.execute(sa.text(
            "SELECT id FROM sale_lost_reason WHERE name = 'No budget'")).scalar()
    page = sam_client.get(f"/sales/leads/{other}").text
    asked = page.split('class="action-params action-lost"')[1].split("</details>")[0]
    assert 'name="lost_reason_id" required' in asked and '<option value="">' in asked
    unexplained = sam_client.post(f"/sales/leads/{other}/lost", follow_redirects=True)
    assert "This field is required." in unexplained.text
    with sales.app_context():
        assert db.session.get(Lead, other).outcome == "open"
    assert sam_client.post(f"/sales/leads/{other}/lost",
                           data={"lost_reason_id": reason}).status_code == 302
    with sales.app_context():
        lost = db.session.get(Lead, other)
        assert (lost.outcome, lost.lost_reason_id, lost.probability) == ("lost", reason, 0)
    # a refusal comes back as a message
    twice = sam_client.post(f"/sales/leads/{other}/convert", follow_redirects=True)
    assert "cannot be done now" in twice.text


def test_the_pool_lists_unassigned_open_leads(sales, sam_client):
    from core.settings import set_setting

    with sales.app_context():
        set_setting("sales.lead_limit", "3")
        lead("Waiting for someone")
        lead("Sam's own", user_id=sales.ids["sam"])
        lead("Closed", outcome="lost")
        db.session.commit()
    page = sam_client.get("/sales/pool").text
    table = page.split("pool-table")[1]
    assert "Waiting for someone" in table
    assert "Sam&#39;s own" not in table and "Closed" not in table
    assert "You hold 1 of at most 3 open leads" in page


def test_the_pool_claim_button_is_off_at_the_limit(sales, sam_client):
    from core.settings import set_setting

    with sales.app_context():
        set_setting("sales.lead_limit", "1")
        lead("Held", user_id=sales.ids["sam"])
        waiting = lead("Waiting").id
        db.session.commit()
    page = sam_client.get("/sales/pool").text
    assert 'type="submit" disabled' in page.split(f'data-id="{waiting}"')[1]
    refused = sam_client.post(f"/sales/leads/{waiting}/claim", follow_redirects=True)
    assert "most allowed" in refused.text


def test_forecast_and_analysis_pages_show_the_figures(sales, sam_client, mia_client):
    soon = date.today().replace(day=1) + timedelta(days=40)
    with acting(sales, "mia"):
        opportunity("Espresso bar", "Proposal", expected_revenue=Decimal("2000"),
                    expected_close=soon, user_id=sales.ids["sam"])  # 60%: 1,200.00
        beans = product("Coffee beans", "20.00", cost="12.00")
        made = order(partner("Blue River").id,
                     [{"product_id": beans.id, "quantity": Decimal(3)}],
                     user_id=sales.ids["sam"])
        services.confirm(made)
        db.session.commit()
    forecast = sam_client.get("/sales/forecast").text
    assert "1,200.00" in forecast.split("forecast-total")[1]
    assert sam_client.get("/sales/forecast?by=team").status_code == 200
    for by, key in (("product", "Coffee beans"), ("customer", "Blue River"),
                    ("salesperson", "Sam"), ("month", date.today().strftime("%b %Y"))):
        page = sam_client.get(f"/sales/analysis?by={by}")
        assert page.status_code == 200, by
        table = page.text.split("analysis-table")[1]
        assert key in table and "24.00" in table, by  # margin 60.00 − 36.00
        assert "40.0%" in table, by  # of the revenue
        assert "60.00" in table.split("analysis-revenue")[1], by
    assert sam_client.get("/sales/analysis?by=nonsense&from=abc").status_code == 200
    prices = mia_client.get("/sales/price-analysis").text
    assert "Coffee beans" in prices and "60.00" in prices and "100.0%" in prices
    home = sam_client.get("/").text
    assert "widget-won" in home and "widget-pipeline" in home


def test_settings_refuse_values_out_of_range_and_save_good_ones(sales, mia_client):
    good = {"sales.pool_idle_days": "7", "sales.lead_limit": "20", "sales.grade_days": "180",
            "sales.grade_a": "70", "sales.grade_b": "90", "sales.grade_basis": "margin"}
    for key, value in (("sales.pool_idle_days", "0"), ("sales.lead_limit", "abc"),
                       ("sales.grade_a", "101"), ("sales.grade_b", "60"),
                       ("sales.grade_basis", "profit"), ("sales.grade_days", "-5")):
        refused = mia_client.post("/sales/settings", data={**good, key: value})
        assert refused.status_code == 422, key
        assert "is-invalid" in refused.text, key
    with sales.app_context():
        assert get_setting("sales.lead_limit") is None
    saved = mia_client.post("/sales/settings", data=good)
    assert saved.status_code == 302
    with sales.app_context():
        assert {key: get_setting(key) for key in good} == good
        assert services.lead_limit() == 20 and services.pool_idle_days() == 7


def test_the_customers_page_shows_their_sales(sales, sam_client):
    with sales.app_context():
        company = partner("Saigon Coffee", is_company=True, grade="A")
        person = partner("Trần Bình", parent_id=company.id)
        first = order(company.id, user_id=sales.ids["sam"])
        second = order(person.id, user_id=sales.ids["sam"])
        services.confirm(first)
        order(company.id, user_id=sales.ids["tom"])  # Tom's: not Sam's to see
        opportunity("Refill contract", partner_id=company.id, user_id=sales.ids["sam"],
                    expected_revenue=Decimal("750"))
        names, company_id = (first.name, second.name), company.id
        db.session.commit()
    page = sam_client.get(f"/contacts/partners/{company_id}").text
    panel = page.split("partner-sales")[1]
    assert names[0] in panel and names[1] in panel and f"SO{YEAR}-00003" not in panel
    assert "Refill contract" in panel and "Grade A" in panel
    assert "1 order, $20.00 sold" in panel


def test_the_dashboard_shows_what_the_user_may_read_in_their_language(
        sales, sam_client, clerk_client):
    from core.auth.models import User

    with sales.app_context():
        db.session.get(User, sales.ids["sam"]).lang = "vi"
        db.session.add(Lead(name="Quán cà phê", type="opportunity", user_id=sales.ids["sam"],
                            stage_id=stage("Proposal").id, expected_revenue=Decimal(500)))
        db.session.commit()
    home = sam_client.get("/").text
    assert "Đề xuất" in home.split("widget-pipeline")[1]  # the default stage, translated
    listing = sam_client.get("/sales/opportunities").text  # the joined column and filter
    assert "Đề xuất" in listing.split('class="col-stage_id"')[1].split("</td>")[0]
    assert re.search(r'<option value="\d+"[^>]*>Đề xuất</option>', listing)
    clerk_home = clerk_client.get("/").text  # no sales rights: no sales cards, empty or not
    assert 'data-widget="sales.' not in clerk_home

"""A salesperson's day in the browser, in Vietnamese: claim a lead from the pool, convert it,
move the deal on the pipeline board, quote it (the price list fills the price), confirm."""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from core.db import db
from core.modules import get_registry, lifecycle

from ..conftest import add_user
from .conftest import screenshot, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def sales(live_app):
    from core.partners.models import Partner
    from modules.sales.models import Lead, PartnerGrade, Pricelist, PricelistItem, Product

    live_app.config["ERP_CURRENCY"] = "VND"  # a company in Vietnam, prices in đồng
    with live_app.app_context():
        lifecycle.enable(get_registry(), ["sales"])
        user = add_user("lan", {"sales.user"})
        user.lang = "vi"
        hoa_sen = Partner(name="Công ty TNHH Hoa Sen", is_company=True, email="info@hoasen.vn")
        db.session.add(hoa_sen)
        db.session.flush()
        db.session.add(PartnerGrade(partner_id=hoa_sen.id, grade="A"))
        coffee = Product(name="Cà phê rang xay 1kg", code="CF-1KG", list_price=Decimal("320000"),
                         cost=Decimal("190000"), tax_rate=Decimal(8))
        db.session.add(coffee)
        grade_a = Pricelist(name="Hạng A", grade="A")
        db.session.add(grade_a)
        db.session.flush()
        db.session.add(PricelistItem(pricelist_id=grade_a.id, product_id=coffee.id,
                                     min_quantity=Decimal(50), fixed_price=Decimal("285000")))
        db.session.add(Lead(name="Cà phê cho 30 cửa hàng", company_name="Công ty TNHH Hoa Sen",
                            contact_name="Nguyễn Thị Mai", email="mai@hoasen.vn",
                            expected_revenue=Decimal("96000000")))
        db.session.commit()
    return live_app


def test_a_salespersons_day(page, sales):
    from modules.sales.models import Lead, Order

    sign_in(page, "lan", "lan")
    page.goto(page.base_url + "/sales/pool")
    page.locator('.pool-table tr:has-text("Cà phê cho 30 cửa hàng") button').click()
    page.wait_for_url("**/sales/pool")
    assert page.locator(".pool-table tr[data-id]").count() == 0  # claimed: no longer pooled
    page.goto(page.base_url + "/sales/leads")
    page.click('a:has-text("Cà phê cho 30 cửa hàng")')
    page.locator(".action-convert summary").click()
    # the lead's company already exists: linking it is offered
    choices = page.locator('.action-convert select[name="partner_id"] option')
    expect(choices.nth(1)).to_contain_text("Công ty TNHH Hoa Sen")
    page.locator('.action-convert select[name="partner_id"]').select_option(index=1)
    page.click('.action-convert button[type="submit"]')
    page.wait_for_url("**/sales/opportunities/*")
    with sales.app_context():
        from modules.sales.models import Stage

        proposal = db.session.execute(sa.select(Stage.id).where(Stage.name == "Proposal")
                                      ).scalar()
    page.goto(page.base_url + "/sales/opportunities/board")
    column = f'.board-column[data-stage="{proposal}"]'
    page.drag_and_drop('.board-card:has-text("Cà phê cho 30")', column)
    expect(page.locator(column)).to_contain_text("Cà phê cho 30")
    screenshot(page, "sales-pipeline-vi")
    with sales.app_context():
        lead = db.session.execute(sa.select(Lead)).scalar_one()
        assert lead.probability == Decimal(60) and lead.partner_id is not None
        lead_id = lead.id
    page.goto(page.base_url + f"/sales/opportunities/{lead_id}")
    page.click('.action-quote button')  # new quotation
    page.wait_for_url("**/sales/orders/*")
    row = page.locator("tr.doc-line.kind-line").last
    row.locator(".line-product").select_option(label="[CF-1KG] Cà phê rang xay 1kg")
    # the list price first, written as Vietnamese write numbers (the đồng has no decimals)
    expect(row.locator(".line-price")).to_have_value("320.000")
    row.locator(".line-quantity").fill("60")
    row.locator(".line-quantity").dispatch_event("change")
    # the grade A price list's quantity break
    expect(row.locator(".line-price")).to_have_value("285.000")
    expect(page.locator(".doc-total")).to_contain_text("18.468.000")  # while typing
    page.click('form.order-form button[type="submit"]')
    page.wait_for_selector(".statusbar")
    assert page.locator(".doc-total").inner_text().startswith("18.468.000")
    screenshot(page, "sales-quotation-vi")
    page.click('.action-confirm button')
    page.wait_for_selector(".statusbar-step.state-confirmed.current")
    with sales.app_context():
        order = db.session.execute(sa.select(Order)).scalar_one()
        assert order.state == "confirmed" and order.amount_total == Decimal("18468000.00")
        assert db.session.get(Lead, lead_id).outcome == "won"

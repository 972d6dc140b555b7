"""Credit control and billing in the browser, in Chinese: a confirmation refused by the
credit limit, a manager's override, then the order's invoice posted and paid in part."""
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
def credit(live_app):
    from core.partners.models import Partner
    from modules.credit_limit import services as credit_services
    from modules.sales import services as sales_services

    live_app.config["ERP_CURRENCY"] = "CNY"  # a company in China, prices in yuan
    with live_app.app_context():
        lifecycle.enable(get_registry(), ["credit_limit"])
        user = add_user("wei", {"sales.manager", "billing.manager"})
        user.lang = "zh_CN"
        customer = Partner(name="上海明珠贸易有限公司", is_company=True)
        db.session.add(customer)
        db.session.flush()
        credit_services.set_credit(customer.id, Decimal(1000), "block")
        order = sales_services.create_order(customer.id, [
            {"description": "办公椅 人体工学", "quantity": Decimal(1), "price_unit": Decimal(1200),
             "tax_rate": Decimal(13)}],
            user_id=user.id)
        db.session.commit()
        live_app.config["ORDER_ID"] = order.id
    return live_app


def test_a_credit_block_an_override_and_the_invoice(page, credit):
    from modules.billing.models import Invoice

    sign_in(page, "wei", "wei")
    page.goto(page.base_url + f"/sales/orders/{credit.config['ORDER_ID']}")
    # a manager's confirm asks for an optional reason to go past a refusal
    page.locator(".action-confirm summary").click()
    page.click('.action-confirm button[type="submit"]')
    expect(page.locator(".alert-danger")).to_contain_text("信用额度")
    expect(page.locator(".statusbar-step.current")).to_have_class(
        "statusbar-step state-draft current")
    screenshot(page, "credit-block-zh_CN")
    page.locator(".action-confirm summary").click()
    page.fill('.action-confirm input[name="override"]', "客户已预付现金")
    page.click('.action-confirm button[type="submit"]')
    page.wait_for_selector(".statusbar-step.state-confirmed.current")
    expect(page.locator(".timeline")).to_contain_text("客户已预付现金")
    page.click(".order-invoices a")  # the draft invoice made at confirmation
    page.click('.action-post button')
    page.wait_for_selector(".statusbar-step.state-posted.current")
    page.fill("#pay-amount", "500")
    page.click('.invoice-pay button[type="submit"]')
    expect(page.locator(".invoice-residual")).to_contain_text("856.00")  # 1,356.00 − 500
    page.goto(page.base_url + "/billing/receivables")
    expect(page.locator(".ageing-total")).to_contain_text("856.00")
    screenshot(page, "receivables-zh_CN")
    with credit.app_context():
        invoice = db.session.execute(sa.select(Invoice)).scalar_one()
        assert invoice.name.startswith("INV") and invoice.amount_residual == Decimal("856.00")

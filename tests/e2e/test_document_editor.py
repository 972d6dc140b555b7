"""The document editor (core.documents) in the browser: lines, a section and a note typed
into a quotation, totals worked out while typing in the user's number format (Vietnamese
1.234,50; Chinese 1,234.50), a line moved up, and a refused save that gives back every
typed line as it was."""
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
def shop(live_app):
    from core.partners.models import Partner

    live_app.config["ERP_CURRENCY"] = "USD"
    with live_app.app_context():
        lifecycle.enable(get_registry(), ["sales"])
        for login, lang in (("lan", "vi"), ("wei", "zh_CN")):
            add_user(login, {"sales.user"}).lang = lang
        db.session.add(Partner(name="Hoa Sen", is_company=True))
        db.session.commit()
    return live_app


def _line(page, description, quantity, price, discount=""):
    row = page.locator("tr.doc-line.kind-line").last
    row.locator(".line-description").fill(description)
    row.locator(".line-quantity").fill(quantity)
    row.locator(".line-price").fill(price)
    if discount:
        row.locator(".line-discount").fill(discount)
    row.locator(".line-tax").select_option("10")  # VAT 10%, named in their language
    page.click(".doc-add[data-template=doc-new-line]")


@pytest.mark.parametrize("login, number, price, subtotal, total", [
    ("lan", "1.234,5", "2,5", "3.086,25", "3.422,38"),
    ("wei", "1,234.5", "2.5", "3,086.25", "3,422.38"),
])
def test_live_totals_and_a_refused_save_keeps_every_line(page, shop, login, number, price,
                                                         subtotal, total):
    from modules.sales.models import Order, OrderLine

    sign_in(page, login, login)
    page.goto(page.base_url + "/sales/orders/new")
    page.locator("#partner_id").select_option(label="Hoa Sen")
    page.click(".doc-add[data-template=doc-new-section]")
    page.locator("tr.kind-section .line-description").fill("Coffee")
    page.locator("tr.kind-section .doc-up").click()  # above the empty line
    _line(page, "Beans", number, price)  # 1234.5 × 2.5 = 3086.25
    _line(page, "Delivery", "1", "50", discount="50")  # 25.00; tax 308.63 + 2.50
    # the subtotal and the totals follow the typing, in the user's format
    expect(page.locator("tr.kind-line .line-subtotal").first).to_contain_text(subtotal)
    expect(page.locator(".doc-untaxed")).to_contain_text(subtotal.replace("086,25", "111,25")
                                                         .replace("086.25", "111.25"))
    expect(page.locator(".doc-total")).to_contain_text(total)
    page.click(".doc-add[data-template=doc-new-note]")
    page.locator("tr.kind-note .line-description").fill("Delivered on Monday")
    # the delivery line goes above the beans
    page.locator("tr.kind-line").nth(1).locator(".doc-up").click()
    page.locator("tr.kind-line").nth(1).locator(".line-quantity").fill("abc")  # refused
    page.click('form.order-form button[type="submit"]')
    expect(page.locator(".order-error")).to_be_visible()
    screenshot(page, f"document-editor-refused-{login}")
    rows = page.locator("tbody tr.doc-line")
    kinds = [rows.nth(i).get_attribute("data-kind") for i in range(rows.count())]
    assert kinds[:4] == ["section", "line", "line", "note"], kinds
    assert page.locator("tr.kind-section .line-description").input_value() == "Coffee"
    assert page.locator("tr.kind-note .line-description").input_value() == \
        "Delivered on Monday"
    descriptions = [page.locator("tr.kind-line .line-description").nth(i).input_value()
                    for i in range(2)]
    assert descriptions == ["Delivery", "Beans"]
    assert page.locator("tr.kind-line .line-quantity").nth(1).input_value() == "abc"
    assert page.locator("tr.kind-line .line-price").nth(1).input_value() == price
    with shop.app_context():
        assert db.session.execute(sa.select(sa.func.count(Order.id))).scalar() == 0
    # corrected, it saves: the lines in their order, the amounts the preview showed
    page.locator("tr.kind-line .line-quantity").nth(1).fill(number)
    page.click('form.order-form button[type="submit"]')
    page.wait_for_selector(".statusbar")
    expect(page.locator(".doc-total")).to_contain_text(total)
    with shop.app_context():
        order = db.session.execute(sa.select(Order)).scalar_one()
        assert order.amount_total == Decimal("3422.38")
        lines = db.session.execute(sa.select(OrderLine.display_type, OrderLine.description)
                                   .order_by(OrderLine.sequence)).all()
        assert lines == [("section", "Coffee"), ("line", "Delivery"), ("line", "Beans"),
                         ("note", "Delivered on Monday")]

"""Pickers in the browser (issue 15): tags chosen by typing in a multi-select, and a
country found by typing its name, on a desktop and on a 390 px phone."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from core.db import db

from .conftest import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def tagged(live_app):
    from core.partners.models import PartnerTag

    with live_app.app_context():
        db.session.add_all([PartnerTag(name=n) for n in ("VIP", "Trade fair", "Vendor",
                                                         "Wholesale")])
        db.session.commit()
    return live_app


def saved_tags(app, name):
    from core.partners.models import Partner

    with app.app_context():
        partner = db.session.execute(sa.select(Partner).where(Partner.name == name)).scalar_one()
        return sorted(t.name for t in partner.tags), partner.country


@pytest.mark.parametrize("width", [1366, 390])
def test_pick_two_tags_by_typing_and_a_country_by_name(page, tagged, width):
    page.set_viewport_size({"width": width, "height": 860})
    sign_in(page)
    page.goto(page.base_url + "/contacts/partners/new")
    page.fill("input[name=name]", f"Picker {width}")
    box = page.get_by_role("combobox", name="Tags")
    box.fill("ve")  # "Vendor", not "VIP": filtered as one types
    options = page.get_by_role("listbox").get_by_role("option")
    expect(options).to_have_text(["Vendor"])
    box.press("Enter")
    box.fill("trade")
    box.press("ArrowDown")
    box.press("Enter")
    chips = page.locator(".multiselect-chip")
    expect(chips).to_have_text(["Trade fair×", "Vendor×"])
    box.fill("vip")
    page.get_by_role("option", name="VIP").click()
    page.get_by_role("button", name="Remove VIP").click()  # and taken back off
    expect(chips).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.fill(".field-country input.lookup-search", "singap")
    expect(page.locator('select[name="country"] option:checked')).to_have_text("—")
    page.press(".field-country input.lookup-search", "Enter")
    expect(page.locator('select[name="country"]')).to_have_value("SG")
    page.click("form.record-form button[type=submit]")
    page.wait_for_url("**/contacts/partners/*")
    assert saved_tags(tagged, f"Picker {width}") == (["Trade fair", "Vendor"], "SG")
    expect(page.locator(".multiselect-chip")).to_have_text(["Trade fair×", "Vendor×"])

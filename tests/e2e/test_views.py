"""Generic views in the browser: filter and group a list, move a card on a board by drag and
drop, see a report's chart."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from core.db import db
from core.modules import get_registry, lifecycle

from .conftest import screenshot, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def shelf(live_app):
    from core.partners.models import Partner
    from tests.fixture_modules.fx_library.models import Book

    with live_app.app_context():
        lifecycle.enable(get_registry(), ["fx_library"])
        db.session.execute(sa.delete(Book))
        for i, (author, status) in enumerate([("Ann", "shelved"), ("Ben", "reading"),
                                              ("Ann", "reading"), ("Lan", "repair"),
                                              ("Wei", "shelved"), ("Ann", "shelved")]):
            db.session.add(Book(title=f"Book {i + 1}", author=author, status=status,
                                price=Decimal(10 + i), published_on=date.today()))
        for name, city, kind in [("Công ty Hoa Sen", "Hà Nội", "customer"),
                                 ("上海明珠贸易有限公司", "上海", "prospect"),
                                 ("Saigon Coffee Co.", "TP. Hồ Chí Minh", "customer"),
                                 ("Nguyễn Văn An", "Hà Nội", "prospect"),
                                 ("Blue River Ltd", "Singapore", "supplier")]:
            db.session.add(Partner(name=name, city=city, kind=kind, is_company=True,
                                   email=f"info@{abs(hash(name)) % 1000}.example"))
        db.session.commit()
    return live_app


def test_filter_and_group_a_list(page, shelf):
    sign_in(page)
    page.goto(page.base_url + "/contacts/partners")
    page.select_option('select[name="f.kind"]', "customer")
    page.wait_for_url("**f.kind=customer**")
    names = page.locator("td.col-name a").all_inner_texts()
    assert names == ["Công ty Hoa Sen", "Saigon Coffee Co."]
    page.select_option("#group-by", "city")
    page.wait_for_url("**group=city**")
    assert page.locator(".group-table tr[data-group]").count() == 2
    page.goto(page.base_url + "/contacts/partners?group=kind")
    screenshot(page, "contacts-list")


def test_move_a_card_on_a_board(page, shelf):
    sign_in(page)
    page.goto(page.base_url + "/fx/books/shelf/board")
    repair = page.locator('.board-column[data-stage="repair"]')
    assert repair.locator(".board-count").inner_text() == "1"
    screenshot(page, "board")
    page.drag_and_drop('.board-card:has-text("Book 1")', '.board-column[data-stage="repair"]')
    # expect() polls without evaluating strings in the page (the CSP forbids eval)
    expect(repair.locator(".board-count")).to_have_text("2")
    assert "Book 1" in repair.inner_text()


def test_report_draws_a_chart(page, shelf):
    sign_in(page)
    page.goto(page.base_url + "/fx/books/shelf/report?rows=author&measure=price")
    page.wait_for_function("window.Chart && Object.keys(window.Chart.instances).length === 1")
    assert page.locator(".grand-total").inner_text() == "$75.00"  # prices sum to money
    screenshot(page, "report")


def test_a_phone_sized_screen(browser, shelf):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = context.new_page()
    base = shelf.config["LIVE_URL"]
    page.goto(base + "/login")
    page.fill("input[name=login]", "admin")
    page.fill("input[name=password]", "admin")
    page.click("button[type=submit]")
    page.goto(base + "/contacts/partners")
    assert page.locator(".navbar-toggler").is_visible()  # the top bar folds into a menu
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1  # nothing pushes the page sideways; wide tables scroll inside
    page.click(".navbar-toggler")
    page.wait_for_selector('[data-menu="core.contacts"]', state="visible")
    screenshot(page, "phone-contacts")
    context.close()


def test_a_contacts_page_in_vietnamese(page, shelf):
    """The 360° page: details, people, activities, timeline, in Vietnamese."""
    from core.activities.models import Activity
    from core.partners.models import Partner

    with shelf.app_context():
        company = db.session.execute(sa.select(Partner).where(
            Partner.name == "Công ty Hoa Sen")).scalar()
        db.session.add(Partner(name="Nguyễn Thị Mai", parent_id=company.id,
                               email="mai@hoasen.vn"))
        db.session.add(Activity(subject="Gọi lại về báo giá", partner_id=company.id,
                                assignee_id=1, due_at=datetime.now() + timedelta(days=1)))
        db.session.commit()
        company_id = company.id
    sign_in(page)
    page.click(".lang-current")
    page.click('[data-lang="vi"]')
    page.wait_for_load_state()
    page.goto(page.base_url + f"/contacts/partners/{company_id}")
    assert "Nguyễn Thị Mai" in page.locator(".partner-people").inner_text()
    assert "Gọi lại về báo giá" in page.locator(".record-activities").inner_text()
    page.fill("textarea[name=body]", "Khách hàng quan tâm gói dịch vụ năm")
    page.locator("form[action*='/note'] button[type=submit]").click()
    page.wait_for_load_state()
    assert "Khách hàng quan tâm" in page.locator(".timeline").inner_text()
    screenshot(page, "contact-vi")


def test_a_long_picker_searches_the_server(page, live_app):
    """Sixty customers: the activity form's customer picker gets a search box; typing
    narrows the list to the server's matches and Enter picks the first."""
    from core.partners.models import Partner

    with live_app.app_context():
        db.session.add_all([Partner(name=f"Customer {i:02d}") for i in range(60)]
                           + [Partner(name="Công ty Hoa Sen"), Partner(name="杭州云帆网络")])
        db.session.commit()
        wanted = db.session.execute(sa.select(Partner.id).where(
            Partner.name == "杭州云帆网络")).scalar()
    sign_in(page)
    page.goto(page.base_url + "/activities/activities/new")
    search = page.locator("#partner_id").locator("xpath=preceding-sibling::input[1]")
    search.fill("云帆")
    expect(page.locator("#partner_id option")).to_have_count(2)  # "—" and the match
    search.press("Enter")
    expect(page.locator("#partner_id")).to_have_value(str(wanted))
    search.fill("")  # back to the whole list, the choice kept
    expect(page.locator("#partner_id option")).to_have_count(63)
    expect(page.locator("#partner_id")).to_have_value(str(wanted))
    screenshot(page, "picker-search")

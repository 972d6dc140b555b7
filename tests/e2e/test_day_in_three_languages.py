"""A salesperson's day on a phone, in Vietnamese and in Chinese, on the demo: every page
and every answer to what they do (a claim, a call marked done, a search typed without
accents, a form with mistakes) reads in their language, with no script error, no CSP
violation and nothing wider than the screen."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from core import demo
from core.activities.models import Activity
from core.auth.models import User
from core.db import db
from core.modules import get_registry, lifecycle

from .conftest import console_error
from .untranslated import untranslated

pytestmark = pytest.mark.e2e

# the people's names the demo gives (data, not messages, though "Administrator" is both)
NAMES = {"Administrator"}


@pytest.fixture
def demo_app(live_app):
    with live_app.app_context():
        registry = get_registry()
        lifecycle.enable(registry, ["sales", "billing", "credit_limit"])
        demo.load_all(registry)
    return live_app


@pytest.fixture(params=[("demo", "vi"), ("demo_zh", "zh_CN")], ids=["vi", "zh_CN"])
def phone(request, browser, demo_app):
    login, lang = request.param
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text) if console_error(m) else None)
    page.base_url, page.lang, page.app = demo_app.config["LIVE_URL"], lang, demo_app
    page.login = login
    page.goto(page.base_url + "/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(page.base_url + "/")
    yield page
    context.close()
    assert not problems, problems


def reads_well(page) -> None:
    """The page as the user sees it: in their language, and within the screen."""
    assert untranslated(page, page.lang) - NAMES == set(), page.url
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 391, f"{page.url} is {width} px wide"


def visit(page, path: str) -> None:
    answer = page.goto(page.base_url + path)
    assert answer.status == 200, path
    reads_well(page)


def open_first(page, path: str) -> None:
    """A list, then its first record."""
    visit(page, path)
    page.locator("table.record-list tbody a").first.click()
    page.wait_for_load_state()
    reads_well(page)


def test_a_salespersons_day_on_a_phone(phone):
    page = phone
    visit(page, "/")
    visit(page, "/activities/mine")
    # claim a lead from the pool: the answer is in their language
    visit(page, "/sales/pool")
    page.locator(".pool-table tr[data-id] button[type=submit]").first.click()
    page.wait_for_load_state()
    expect(page.locator(".alert").first).to_be_visible()
    reads_well(page)
    open_first(page, "/sales/leads")
    # the day's first call, marked done on its lead's page, and the next one scheduled
    with page.app.app_context():
        call = db.session.execute(
            sa.select(Activity.id, Activity.res_id).join(User, User.id == Activity.assignee_id)
            .where(User.login == page.login, Activity.state == "planned",
                   Activity.res_model == "sale.lead").order_by(Activity.due_at)).first()
    visit(page, f"/sales/leads/{call.res_id}")
    item = page.locator(f'.activities-planned li[data-activity="{call.id}"]')
    item.locator("summary").click()
    item.locator("input[name=outcome]").fill("OK")
    item.locator('button[name="then"]').click()
    page.wait_for_load_state()
    reads_well(page)  # the new activity's form, about the same lead
    with page.app.app_context():
        assert db.session.get(Activity, call.id).state == "done"
    visit(page, "/activities/activities/calendar?mode=week")
    visit(page, "/sales/opportunities/board")
    open_first(page, "/sales/opportunities")
    visit(page, "/sales/opportunities/calendar")
    visit(page, "/sales/opportunities/report")
    open_first(page, "/sales/orders")
    open_first(page, "/billing/invoices")
    visit(page, "/billing/receivables")
    open_first(page, "/contacts/partners")
    # a file attached to the contact: the picker speaks their language, names the file
    picker = page.locator(".timeline .file-picker")
    picker.locator("input[type=file]").set_input_files(files=[{
        "name": "báo-giá.txt", "mimeType": "text/plain", "buffer": b"quote"}])
    expect(picker.locator(".file-chosen")).to_have_text("báo-giá.txt")
    picker.locator("xpath=ancestor::form").locator("button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".timeline-entries")).to_contain_text("báo-giá.txt")
    reads_well(page)
    # typed without accents, as on a phone's keyboard: "nguyen" finds "Nguyễn"
    visit(page, "/contacts/partners?q=nguyen")
    expect(page.locator("table.record-list tbody").first).to_contain_text("Nguyễn Thị Mai")
    # a form sent with a mistake answers in their language and keeps them on it
    visit(page, "/contacts/partners/new")
    page.locator("form.record-form button[type=submit]").first.click()
    page.wait_for_load_state()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    reads_well(page)

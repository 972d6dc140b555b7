"""A salesperson's day on a phone, in Vietnamese and in Chinese, on the demo: every page
and every answer to what they do (a claim, a form with mistakes, a search) reads in their
language, with no script error, no CSP violation and nothing wider than the screen."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core import demo
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
    page.base_url, page.lang = demo_app.config["LIVE_URL"], lang
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
    visit(page, "/sales/opportunities/board")
    open_first(page, "/sales/opportunities")
    visit(page, "/sales/opportunities/calendar")
    visit(page, "/sales/opportunities/report")
    open_first(page, "/sales/orders")
    open_first(page, "/billing/invoices")
    visit(page, "/billing/receivables")
    open_first(page, "/contacts/partners")
    # a form sent with a mistake answers in their language and keeps them on it
    visit(page, "/contacts/partners/new")
    page.locator("form.record-form button[type=submit]").first.click()
    page.wait_for_load_state()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    reads_well(page)

"""The demo as its users first meet it on a phone, in Vietnamese and Chinese: every module's
main page, a record, a document editor and the settings fit a 390 px screen, lists as cards,
the side menu folded into one line that unfolds, with no script error, no CSP violation and
no resource that fails to load."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core import demo
from core.modules import get_registry, lifecycle

from .conftest import console_error

pytestmark = pytest.mark.e2e

PAGES = ["/", "/contacts/partners", "first:/contacts/partners", "/activities/activities",
         "/sales/leads", "/sales/pool", "/sales/orders", "/sales/orders?group=state",
         "first:/sales/orders", "/sales/orders/new", "/sales/orders/report", "/billing/invoices",
         "/billing/receivables", "/tasks/", "/profile"]
SETTINGS = ["/settings/users", "/settings/teams", "/settings/jobs/", "/settings/outbox/",
            "/settings/general", "/credit/holds"]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def demo_app(live_app):
    with live_app.app_context():
        registry = get_registry()
        lifecycle.enable(registry, ["sales", "billing", "credit_limit"])
        demo.load_all(registry)
    return live_app


def signed_in(browser, app, login, password="demo", **options):
    context = browser.new_context(viewport=PHONE, **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.problems = []
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    page.on("console", lambda m: page.problems.append(m.text) if console_error(m) else None)
    page.base_url = app.config["LIVE_URL"]
    page.goto(page.base_url + "/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(page.base_url + "/")
    return page


def fits_a_phone(page, path):
    """`path` (or, for "first:<list>", the list's first record) fits the screen with no
    table scrolled sideways, and its side menu is one short bar that unfolds into its
    entries."""
    if path.startswith("first:"):
        page.goto(page.base_url + path[6:])
        path = page.locator("table.record-list tbody td a").first.get_attribute("href")
    answer = page.goto(page.base_url + path)
    assert answer.status == 200, path
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"{path} is {width} px wide"
    sideways = page.evaluate("""[...document.querySelectorAll('.table-responsive')]
        .filter(box => box.scrollWidth > box.clientWidth + 1)
        .map(box => box.innerHTML.slice(0, 80))""")
    assert not sideways, f"{path}: a table scrolls sideways: {sideways}"
    menu = page.locator("aside.app-sidebar")
    if not menu.count():
        return
    assert menu.bounding_box()["height"] <= 60, f"{path}: the side menu takes {menu.bounding_box()}"
    entries, bar = menu.locator("nav a"), menu.locator("summary")
    assert not entries.first.is_visible() and bar.get_attribute("aria-expanded") == "false", path
    bar.focus()
    page.keyboard.press("Enter")
    expect(bar).to_have_attribute("aria-expanded", "true")  # set on the (async) toggle event
    for i in range(entries.count()):
        assert entries.nth(i).is_visible(), path
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1, path


@pytest.mark.parametrize("login", ["demo", "demo_zh"])
def test_every_module_fits_a_phone(browser, demo_app, login):
    page = signed_in(browser, demo_app, login)
    for path in PAGES:
        fits_a_phone(page, path)
    page.context.close()
    assert not page.problems, page.problems


def test_the_settings_fit_a_phone(browser, demo_app):
    page = signed_in(browser, demo_app, "admin", "admin", locale="zh-CN")
    for path in SETTINGS:
        fits_a_phone(page, path)
    page.context.close()
    assert not page.problems, page.problems


def test_the_side_menu_folds_without_script_and_stays_open_on_a_desk(browser, demo_app):
    page = signed_in(browser, demo_app, "demo", java_script_enabled=False)
    page.goto(page.base_url + "/sales/orders")
    menu = page.locator("aside.app-sidebar")
    entries, bar = menu.locator("nav a"), menu.locator("summary")
    assert entries.first.is_visible()  # without script it starts open, and still folds
    bar.click()
    assert not entries.first.is_visible()
    page.context.close()
    desk = signed_in(browser, demo_app, "demo")
    desk.set_viewport_size({"width": 1366, "height": 860})
    desk.goto(desk.base_url + "/sales/orders")
    assert not desk.locator("aside.app-sidebar summary").is_visible()
    assert desk.locator("aside.app-sidebar nav a").first.is_visible()
    assert desk.locator("aside.app-sidebar").bounding_box()["width"] >= 200
    desk.context.close()
    assert not desk.problems, desk.problems

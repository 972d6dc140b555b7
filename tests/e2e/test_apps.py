"""An administrator enables an app in the browser and its menu appears; the language and
theme switchers change the page."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import screenshot, sign_in

pytestmark = pytest.mark.e2e


def test_enable_an_app_and_see_its_menu(page):
    sign_in(page)
    screenshot(page, "dashboard")
    assert page.locator('[data-menu="fx_library.root"]').count() == 0
    page.click('[data-menu="core.settings"]')
    page.wait_for_url("**/settings/general")
    page.click('[data-menu="core.apps"]')
    page.wait_for_url("**/apps/")
    card = page.locator('[data-module="fx_loans"]')
    assert card.get_attribute("data-state") == "available"
    screenshot(page, "apps")
    card.get_by_role("link", name="Enable").click()
    expect(page.locator("ul.plan-extra li")).to_have_text(["Library", "Library bridge"])
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/apps/")
    assert page.locator('[data-module="fx_loans"]').get_attribute("data-state") == "enabled"
    assert page.locator('[data-menu="fx_library.root"]').is_visible()
    page.click('[data-menu="fx_library.root"]')
    assert "/fx/books/" in page.url


def test_the_language_switcher_changes_the_menus(page):
    sign_in(page)
    page.click(".lang-current")
    page.click('[data-lang="vi"]')
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator('[data-menu="core.settings"]').inner_text().strip() != "Settings"
    page.click(".lang-current")
    page.click('[data-lang="zh_CN"]')
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator('[data-menu="core.settings"]').inner_text().strip() == "设置"
    page.click('[data-menu="core.settings"]')
    page.click('[data-menu="core.apps"]')
    page.wait_for_url("**/apps/")
    assert page.locator("h1").inner_text() == "应用"
    screenshot(page, "apps-zh_CN")


def test_the_theme_switcher_turns_the_shell_dark(page):
    sign_in(page)
    html = page.locator("html")
    assert html.get_attribute("data-bs-theme") == "light"
    light_topbar = page.locator(".app-topbar").evaluate("e => getComputedStyle(e).backgroundColor")
    page.get_by_role("button", name="Admin").click()
    page.click('[data-theme="dark"]')
    page.wait_for_url(page.base_url + "/")
    assert html.get_attribute("data-bs-theme") == "dark"
    assert page.locator('link[href$="/themes/dark/theme.css"]').count() == 1
    topbar = page.locator(".app-topbar").evaluate("e => getComputedStyle(e).backgroundColor")
    body = page.locator("body").evaluate("e => getComputedStyle(e).backgroundColor")
    assert topbar != light_topbar and body == "rgb(13, 17, 23)"  # dark/static/theme.css
    screenshot(page, "dashboard-dark")
    # the choice is the user's: it stays on the next page
    page.click('[data-menu="core.settings"]')
    page.wait_for_url("**/settings/general")
    assert html.get_attribute("data-bs-theme") == "dark"
    page.get_by_role("button", name="Admin").click()
    assert page.locator('[data-theme="dark"]').get_attribute("aria-current") == "true"

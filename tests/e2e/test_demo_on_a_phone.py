"""The demo as its users first meet it on a phone, in Vietnamese and Chinese: the main page
of every module fits a 390 px screen, with no script error, no CSP violation and no
resource that fails to load."""
from __future__ import annotations

import pytest

from core import demo
from core.modules import get_registry, lifecycle

pytestmark = pytest.mark.e2e

PAGES = ["/", "/contacts/partners", "/activities/activities", "/sales/leads", "/sales/pool",
         "/sales/orders", "/billing/invoices", "/billing/receivables", "/tasks/", "/profile"]


@pytest.fixture
def demo_app(live_app):
    with live_app.app_context():
        registry = get_registry()
        lifecycle.enable(registry, ["sales", "billing", "credit_limit"])
        demo.load_all(registry)
    return live_app


@pytest.mark.parametrize("login", ["demo", "demo_zh"])
def test_every_module_fits_a_phone(browser, demo_app, login):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    base = demo_app.config["LIVE_URL"]
    page.goto(base + "/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    for path in PAGES:
        answer = page.goto(base + path)
        assert answer.status == 200, path
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1, f"{path} is {width} px wide"
    context.close()
    assert not problems, problems

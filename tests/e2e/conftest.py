"""Browser tests: Playwright drives Debian's chromium against the app served on loopback.
A missing browser fails these tests; it never skips them."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from ..conftest import init_db, make_app

CHROMIUM = os.environ.get("ERP_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"chromium not found at {CHROMIUM}: `make test` installs Debian's chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def live_app(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'e2e.sqlite3'}")
    init_db(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()


@pytest.fixture
def page(browser, live_app):
    context = browser.new_context(viewport={"width": 1366, "height": 860}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    # Script errors, CSP violations and failed sub-resources (CSS, JS, fonts) fail the test;
    # a page that answers 4xx on purpose (a form with errors, a 403) does not.
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if console_error(m) else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type != "document" else None)
    page.base_url = live_app.config["LIVE_URL"]
    yield page
    context.close()
    assert not errors, f"browser console errors: {errors}"


def console_error(message) -> bool:
    """A script error or a CSP violation in the console; a sub-resource's failed load is
    told by its response instead, and a page answering 4xx on purpose is no error."""
    return message.type == "error" and not message.text.startswith("Failed to load resource")


def sign_in(page, login="admin", password="admin"):
    page.goto(page.base_url + "/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(page.base_url + "/")


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)

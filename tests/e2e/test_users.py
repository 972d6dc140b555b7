"""The newcomer's path in the browser: sign in as admin, create a salesperson, and see that
the salesperson's view is narrower."""
from __future__ import annotations

import pytest

from .conftest import screenshot, sign_in

pytestmark = pytest.mark.e2e


def test_admin_creates_a_user_whose_view_is_narrower(page):
    sign_in(page)
    page.click('[data-menu="core.settings"]')
    page.click('[data-menu="core.users"]')
    page.wait_for_url("**/settings/users")
    page.get_by_role("link", name="New user").click()
    page.fill("#name", "Phạm Minh Anh")
    page.fill("#login", "minhanh")
    page.fill("#email", "not an email")
    page.fill("#password", "s3cret-pass")
    page.fill("#confirm", "s3cret-pass")
    page.get_by_role("button", name="Save").click()
    # the error shows beside the field, and what was typed is kept
    assert page.locator(".field-email .invalid-feedback").inner_text() == "Invalid email address."
    assert page.input_value("#name") == "Phạm Minh Anh"
    screenshot(page, "user-form-error")
    page.fill("#email", "minhanh@example.com")
    page.fill("#password", "s3cret-pass")
    page.fill("#confirm", "s3cret-pass")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/settings/users/*")
    page.goto(page.base_url + "/settings/users")
    assert page.locator('[data-user="minhanh"]').is_visible()
    screenshot(page, "users")
    page.get_by_role("button", name="Admin").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")

    sign_in(page, "minhanh", "s3cret-pass")
    assert page.locator('[data-menu="core.settings"]').count() == 0
    response = page.goto(page.base_url + "/settings/users")
    assert response.status == 403

"""The Apps page: administrators only; each change is confirmed with what else changes."""
from __future__ import annotations

from core.modules import get_registry


def test_only_admins_reach_the_apps_page(app, admin_client, clerk_client):
    assert app.test_client().get("/apps/").status_code == 302  # to the login page
    assert clerk_client.get("/apps/").status_code == 403
    assert clerk_client.post("/apps/fx_library/enable").status_code == 403
    page = admin_client.get("/apps/")
    assert page.status_code == 200
    for name in ("fx_library", "fx_loans", "fx_bridge"):
        assert f'data-module="{name}" data-state="available"'.encode() in page.data
    assert b"Books on shelves" in page.data


def test_enable_asks_with_the_dependency_closure_then_enables(app, admin_client):
    confirm = admin_client.get("/apps/fx_loans/enable")
    assert confirm.status_code == 200
    assert b'<li data-module="fx_library">' in confirm.data
    assert b'<li data-module="fx_bridge">' in confirm.data
    with app.app_context():
        assert not get_registry().enabled  # asking changed nothing
    done = admin_client.post("/apps/fx_loans/enable", follow_redirects=True)
    assert b"Enabled: Library, Loans, Library bridge" in done.data
    assert b'data-module="fx_loans" data-state="enabled"' in done.data


def test_disable_lists_the_dependents(app, admin_client):
    admin_client.post("/apps/fx_loans/enable")
    confirm = admin_client.get("/apps/fx_library/disable")
    assert b'<li data-module="fx_loans">' in confirm.data
    assert b"Their data is kept" in confirm.data
    admin_client.post("/apps/fx_library/disable")
    page = admin_client.get("/apps/")
    assert b'data-module="fx_library" data-state="disabled"' in page.data
    assert b'data-module="fx_loans" data-state="disabled"' in page.data


def test_unknown_module_or_action_is_404(admin_client):
    assert admin_client.get("/apps/nope/enable").status_code == 404
    assert admin_client.get("/apps/fx_library/explode").status_code == 404


def test_apps_can_be_searched_and_filtered(admin_client):
    page = admin_client.get("/apps/?q=lending")
    assert b'data-module="fx_loans"' in page.data
    assert b'data-module="fx_library"' not in page.data
    assert b"No apps found." in admin_client.get("/apps/?category=Nothing").data


def test_the_forms_carry_csrf_protection(db_url):
    from ..conftest import init_db, login, make_app

    app = make_app(db_url, WTF_CSRF_ENABLED=True)
    init_db(app)
    client = app.test_client()
    assert client.post("/login", data={"login": "admin", "password": "admin"}).status_code == 400
    app.config["WTF_CSRF_ENABLED"] = False
    login(client)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/apps/fx_library/enable").status_code == 400
    with app.app_context():
        assert not get_registry().enabled

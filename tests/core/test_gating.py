"""A disabled module is inert: routes 404, menus gone, jobs, signals, slots and widgets off."""
from __future__ import annotations

from core.db import db
from core.modules import get_registry, lifecycle
from core.scheduler import run_job

from ..conftest import init_db, login, make_app


def enable(app, *names):
    with app.app_context():
        lifecycle.enable(get_registry(), list(names))


def disable(app, *names):
    with app.app_context():
        lifecycle.disable(get_registry(), list(names))


def test_routes_answer_404_while_disabled(app, admin_client):
    assert admin_client.get("/fx/books/").status_code == 404
    enable(app, "fx_library")
    assert admin_client.get("/fx/books/").status_code == 200
    disable(app, "fx_library")
    assert admin_client.get("/fx/books/").status_code == 404


def test_menus_follow_the_enabled_set(app, admin_client):
    assert b'data-menu="fx_library.root"' not in admin_client.get("/").data
    enable(app, "fx_loans")
    page = admin_client.get("/fx/books/1")
    home = admin_client.get("/").data
    assert b'data-menu="fx_library.root"' in home
    assert page.status_code == 200
    disable(app, "fx_loans")
    home = admin_client.get("/").data
    assert b'data-menu="fx_library.root"' in home  # fx_library stays enabled
    disable(app, "fx_library")
    assert b'data-menu="fx_library.root"' not in admin_client.get("/").data


def test_menu_groups_hide_entries_from_users_without_them(app, clerk_client, admin_client):
    assert b'data-menu="core.settings"' in admin_client.get("/").data
    assert b'data-menu="core.apps"' in admin_client.get("/apps/").data  # the side menu
    assert b'data-menu="core.settings"' not in clerk_client.get("/").data


def test_slots_and_signal_handlers_are_inert_while_their_module_is_disabled(app, admin_client):
    from tests.fixture_modules.fx_loans.models import Loan

    enable(app, "fx_loans")
    with app.app_context():
        db.session.add(Loan(book_id=1, borrower="Wei"))
        db.session.commit()
    assert b'class="fx-loans-panel">1<' in admin_client.get("/fx/books/1").data
    assert admin_client.post("/fx/books/1/lend").status_code == 409
    disable(app, "fx_loans")
    assert b"fx-loans-panel" not in admin_client.get("/fx/books/1").data
    assert admin_client.post("/fx/books/1/lend").status_code == 200


def test_widgets_follow_the_enabled_set(app, admin_client):
    assert b'data-widget="fx_library.count"' not in admin_client.get("/").data
    enable(app, "fx_library")
    assert b'data-widget="fx_library.count"' in admin_client.get("/").data


def test_jobs_run_only_while_enabled_and_each_firing_once(app):
    from datetime import datetime

    from core.modules.models import StateCounter

    firing = datetime(2026, 1, 1, 2, 0)
    assert run_job(app, "fx_library.count_books", firing) == "skipped"
    enable(app, "fx_library")
    assert run_job(app, "fx_library.count_books", firing) == "done"
    assert run_job(app, "fx_library.count_books", firing) == "claimed"  # same firing: once
    assert run_job(app, "fx_library.count_books", datetime(2026, 1, 1, 2, 5)) == "done"
    disable(app, "fx_library")
    assert run_job(app, "fx_library.count_books", datetime(2026, 1, 1, 2, 10)) == "skipped"
    with app.app_context():
        assert db.session.get(StateCounter, "fx_library.job_runs").value == 2


def test_two_app_instances_see_each_others_toggles(db_url):
    """Two workers on one database: a toggle in one is seen by the other's next request."""
    first = make_app(db_url)
    init_db(first)
    second = make_app(db_url)
    a, b = login(first.test_client()), login(second.test_client())
    assert b.get("/fx/books/").status_code == 404
    enable(first, "fx_library")
    assert b.get("/fx/books/").status_code == 200
    assert b'data-menu="fx_library.root"' in b.get("/").data
    disable(second, "fx_library")
    assert a.get("/fx/books/").status_code == 404
    assert b'data-menu="fx_library.root"' not in a.get("/").data
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()

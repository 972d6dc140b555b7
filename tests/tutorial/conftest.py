"""The tutorial's module is found like the fixture modules: its package, tests.tutorial, is
one more of ERP_MODULE_PACKAGES (a real deployment finds it under modules/). The app here
is the suite's usual one plus that package; `expenses` enables the module with An and Binh
(employees) and Vy (approver)."""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.auth.models import User
from core.db import db
from core.modules import get_registry, lifecycle
from tests.tutorial.expenses.models import ExpenseClaim

from ..conftest import FIXTURE_PACKAGES, add_user, init_db, login, make_app

PACKAGES = [*FIXTURE_PACKAGES, "tests.tutorial"]


@pytest.fixture
def app(db_url):
    app = make_app(db_url, ERP_MODULE_PACKAGES=PACKAGES)
    init_db(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def expenses(app):
    """The app with the module enabled; `app.ids` maps logins to user ids."""
    with app.app_context():
        lifecycle.enable(get_registry(), ["expenses"])
        add_user("an", {"expenses.user"})
        add_user("binh", {"expenses.user"})
        add_user("vy", {"expenses.approver"})
        db.session.commit()
        app.ids = dict(db.session.execute(sa.select(User.login, User.id)).all())
    return app


@pytest.fixture
def an(expenses):
    return login(expenses.test_client(), "an")


@pytest.fixture
def vy(expenses):
    return login(expenses.test_client(), "vy")


def claim(app, login_name="an", state="draft", amount="18.50", **values):
    """A claim of `login_name` in `state`, written as a row; its id."""
    values.setdefault("description", "Taxi to the airport")
    with app.app_context():
        record = ExpenseClaim(employee_id=app.ids[login_name], state=state,
                              amount=Decimal(amount), **values)
        db.session.add(record)
        db.session.commit()
        return record.id


def stored(app, claim_id):
    """The claim as stored now (None once it is gone)."""
    with app.app_context():
        record = db.session.get(ExpenseClaim, claim_id)
        if record is not None:
            db.session.expunge(record)
        return record

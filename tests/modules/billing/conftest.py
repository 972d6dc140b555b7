"""Fixtures of the billing tests: the module enabled (alone, or with sales) with Bea (billing
clerk), Max (billing manager) and, with sales, Sam and Tom (salespeople who do not bill) and
Ada (billing and sales manager); small builders for invoices, payments and orders."""
from __future__ import annotations

import functools
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.auth.models import User
from core.db import db
from core.modules import get_registry, lifecycle

from ...conftest import acting as signed_in
from ...conftest import add_user, login


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch):
    """Every test signs people in: a one-round hash keeps the folder fast."""
    from werkzeug.security import generate_password_hash

    import core.auth.models

    monkeypatch.setattr(core.auth.models, "generate_password_hash",
                        functools.partial(generate_password_hash, method="pbkdf2:sha256:1"))


def _enable(app, modules, users):
    with app.app_context():
        lifecycle.enable(get_registry(), modules)
        for login_name, groups in users.items():
            add_user(login_name, groups)
        db.session.commit()
        app.ids = dict(db.session.execute(sa.select(User.login, User.id)).all())
    return app


@pytest.fixture
def billing(app):
    """The app with billing alone (its on_enable hook adds the default payment terms)."""
    return _enable(app, ["billing"], {"bea": {"billing.user"}, "max": {"billing.manager"}})


@pytest.fixture
def shop(app):
    """The app with sales and billing: orders get invoiced."""
    return _enable(app, ["sales", "billing"], {
        "bea": {"billing.user"}, "max": {"billing.manager"}, "sam": {"sales.user"},
        "tom": {"sales.user"}, "ada": {"billing.manager", "sales.manager"}})


@pytest.fixture
def bea_client(billing):
    return login(billing.test_client(), "bea")


def acting(app, login_name="max"):
    """As `login_name` (by default Max), see tests/conftest.acting."""
    return signed_in(app, login_name)


@pytest.fixture
def ctx(billing):
    """Billing services called directly, as Max."""
    with acting(billing):
        yield billing


@pytest.fixture
def shop_ctx(shop):
    with acting(shop, "ada"):
        yield shop


# -- builders: inside an app context, flushed, not committed ------------------------------
def partner(name="Hoa Sen", **values):
    from core.partners.models import Partner

    record = Partner(name=name, **values)
    db.session.add(record)
    db.session.flush()
    return record


def line(description="Consulting", quantity="1", price="10", discount="0", tax="0", **more):
    return {"description": description, "quantity": Decimal(quantity),
            "price_unit": Decimal(price), "discount": Decimal(discount),
            "tax_rate": Decimal(tax), **more}


def term(name):
    from modules.billing.models import PaymentTerm

    return db.session.execute(sa.select(PaymentTerm).where(PaymentTerm.name == name)
                              ).scalar_one()


def invoice(partner_id, *lines, on=None, **values):
    """A draft invoice; one 2 × 10.00 line unless told."""
    from modules.billing import services

    return services.create_invoice(partner_id, list(lines) or [line(quantity="2")],
                                   date_invoice=on, **values)


def posted(partner_id, amount, on=None, terms=None):
    """A posted invoice of one untaxed line worth `amount`, dated `on`, with the customer's
    payment term set to `terms` (a term name) first when given."""
    from modules.billing import services

    if terms is not None:
        services.set_term(partner_id, term(terms).id)
        db.session.flush()
    made = invoice(partner_id, line("Goods", "1", amount), on=on)
    services.post(made)
    db.session.flush()
    return made


def order(partner_id, *lines, user_id=None, confirm=True):
    """A sales order through the sales services (lines: (description, quantity, price))."""
    from modules.sales import services

    made = services.create_order(partner_id, [
        {"description": d, "quantity": Decimal(q), "price_unit": Decimal(p),
         "tax_rate": Decimal(0)} for d, q, p in (lines or [("Goods", "2", "10")])],
        user_id=user_id)
    if confirm:
        services.confirm(made)
    db.session.flush()
    return made


def count(model, *where):
    return db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)
                              ).scalar()

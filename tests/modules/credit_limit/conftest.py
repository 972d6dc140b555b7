"""Fixtures of the credit limit tests: credit_limit enabled (which brings sales and billing)
with Sam (salesperson), Mia (sales manager, may override a block) and Bea (billing clerk);
builders for customers with a limit, orders and invoices."""
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


@pytest.fixture
def credit(app):
    """The app with credit_limit (and so sales and billing) enabled; `app.ids` maps logins
    to user ids."""
    with app.app_context():
        plan = lifecycle.enable(get_registry(), ["credit_limit"])
        assert set(plan.modules) >= {"sales", "billing", "credit_limit"}
        add_user("sam", {"sales.user"})
        add_user("mia", {"sales.manager"})
        add_user("bea", {"billing.user"})
        db.session.commit()
        app.ids = dict(db.session.execute(sa.select(User.login, User.id)).all())
    return app


def acting(app, login_name="mia"):
    """As `login_name` (by default Mia), see tests/conftest.acting."""
    return signed_in(app, login_name)


@pytest.fixture
def ctx(credit):
    with acting(credit):
        yield credit


@pytest.fixture
def mia_client(credit):
    return login(credit.test_client(), "mia")


@pytest.fixture
def sam_client(credit):
    return login(credit.test_client(), "sam")


# -- builders: inside an app context, flushed, not committed ------------------------------
def customer(name="Hoa Sen", limit=None, mode="block", **values):
    """A partner, with a credit limit when `limit` is given."""
    from core.partners.models import Partner
    from modules.credit_limit import services

    record = Partner(name=name, **values)
    db.session.add(record)
    db.session.flush()
    if limit is not None:
        services.set_credit(record.id, Decimal(limit), mode)
        db.session.flush()
    return record


def quotation(partner_id, amount, user_id=None):
    """A draft order of one untaxed line worth `amount`."""
    from modules.sales import services

    made = services.create_order(partner_id, [{"description": "Goods", "quantity": Decimal(1),
                                               "price_unit": Decimal(amount),
                                               "tax_rate": Decimal(0)}], user_id=user_id)
    db.session.flush()
    return made


def sold(partner_id, amount, user_id=None):
    """A confirmed order worth `amount` (billing makes its draft invoice)."""
    from modules.sales import services

    made = quotation(partner_id, amount, user_id)
    services.confirm(made)
    db.session.flush()
    return made


def exposure(partner_id) -> Decimal:
    from modules.credit_limit import services

    return services.exposures([partner_id]).get(partner_id, Decimal(0))


def notes(model, record_id) -> list[str]:
    from core.timeline import TimelineEntry

    return db.session.execute(sa.select(TimelineEntry.body).where(
        TimelineEntry.model == model, TimelineEntry.record_id == record_id,
        TimelineEntry.kind == "note").order_by(TimelineEntry.id)).scalars().all()

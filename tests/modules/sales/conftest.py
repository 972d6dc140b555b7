"""Fixtures of the sales tests: the module enabled with Sam (salesperson), Tom (another
salesperson) and Mia (sales manager), and small builders for the records they work with."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.auth.models import User
from core.db import db
from core.modules import get_registry, lifecycle

from ...conftest import acting as signed_in
from ...conftest import add_user, login


@pytest.fixture
def sales(app):
    """The app with sales enabled (its on_enable hook adds the default stages, sources and
    lost reasons); `app.ids` maps logins to user ids."""
    with app.app_context():
        lifecycle.enable(get_registry(), ["sales"])
        add_user("sam", {"sales.user"})
        add_user("tom", {"sales.user"})
        add_user("mia", {"sales.manager"})
        db.session.commit()
        app.ids = dict(db.session.execute(sa.select(User.login, User.id)).all())
    return app


@pytest.fixture
def sam_client(sales):
    return login(sales.test_client(), "sam")


@pytest.fixture
def mia_client(sales):
    return login(sales.test_client(), "mia")


def acting(app, login_name="mia"):
    """As `login_name` (by default Mia), see tests/conftest.acting."""
    return signed_in(app, login_name)


@pytest.fixture
def ctx(sales):
    """Services called directly, as Mia (who sees every record)."""
    with acting(sales):
        yield sales


@contextmanager
def connected(signal, handler):
    """`handler` connected to a registry signal for the block only."""
    sig = get_registry().signals.signal(signal)
    sig.connect(handler)
    try:
        yield
    finally:
        sig.disconnect(handler)


# -- builders: inside an app context, flushed, not committed ------------------------------
def partner(name="Hoa Sen", grade=None, **values):
    """A partner; `grade` is the one sales keeps for it (as its grading job would)."""
    from core.partners.models import Partner
    from modules.sales.models import PartnerGrade

    record = Partner(name=name, **values)
    db.session.add(record)
    db.session.flush()
    if grade:
        db.session.add(PartnerGrade(partner_id=record.id, grade=grade))
        db.session.flush()
    return record


def product(name="Coffee beans", price="19.99", cost="0", tax="0", **values):
    from modules.sales.models import Product

    record = Product(name=name, list_price=Decimal(price), cost=Decimal(cost),
                     tax_rate=Decimal(tax), **values)
    db.session.add(record)
    db.session.flush()
    return record


def pricelist(rules, **values):
    """A price list with rules: (product or None, min quantity, fixed price, discount)."""
    from modules.sales.models import Pricelist, PricelistItem

    values.setdefault("name", "Prices")
    record = Pricelist(**values)
    db.session.add(record)
    db.session.flush()
    for item, min_quantity, fixed, discount in rules:
        db.session.add(PricelistItem(
            pricelist_id=record.id, product_id=item.id if item else None,
            min_quantity=Decimal(min_quantity),
            fixed_price=Decimal(fixed) if fixed is not None else None,
            discount=Decimal(discount) if discount is not None else None))
    db.session.flush()
    return record


def lead(name="Coffee machines", **values):
    from modules.sales.models import Lead

    record = Lead(name=name, **values)
    db.session.add(record)
    db.session.flush()
    return record


def opportunity(name="Espresso bar", stage_name="New", **values):
    values.setdefault("partner_id", partner(f"{name} Ltd").id)
    found = stage(stage_name)
    return lead(name, type="opportunity", status="converted", stage_id=found.id,
                probability=found.probability, **values)


def order(partner_id, lines=None, user_id=None, **values):
    """A quotation through the service, with one 2 × 10.00 line unless told."""
    from modules.sales import services

    if lines is None:
        lines = [{"description": "Consulting", "quantity": Decimal(2),
                  "price_unit": Decimal(10)}]
    return services.create_order(partner_id, lines, user_id=user_id, **values)


def lines_of(made):
    """The order's stored lines, in order (services write them without the ORM's
    collection, which raises when read)."""
    from modules.sales.models import OrderLine

    return db.session.execute(sa.select(OrderLine).where(OrderLine.order_id == made.id)
                              .order_by(OrderLine.sequence)).scalars().all()


def sold(partner_id, amount, user_id=None, cost="0", on=None):
    """A confirmed order of one line worth `amount` untaxed."""
    from modules.sales import services

    made = order(partner_id, [{"description": "Goods", "quantity": Decimal(1),
                               "price_unit": Decimal(amount), "tax_rate": Decimal(0)}],
                 user_id=user_id, date_order=on or date.today())
    from modules.sales.models import OrderLine

    db.session.execute(sa.update(OrderLine).where(OrderLine.order_id == made.id)
                       .values(cost=Decimal(cost)))
    services.confirm(made)
    return made


def stage(name):
    from modules.sales.models import Stage

    return db.session.execute(sa.select(Stage).where(Stage.name == name)).scalar_one()


def count(model, *where):
    return db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)
                              ).scalar()

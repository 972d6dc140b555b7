"""The check when an order is confirmed: a block refuses past the limit (unless a sales
manager writes an override, kept on the timeline), a warning confirms with a note."""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.db import db
from core.errors import Refusal
from modules.billing.models import Invoice
from modules.sales import services as sales
from modules.sales.models import Order

from ...core.test_api import Api, token_for
from .conftest import acting, customer, exposure, notes, quotation, sold


@pytest.fixture
def near(credit):
    """A customer with a block limit of 1000, 700 of it used, and three quotations of Sam's:
    400 (too much), 300 (exactly what is left) and 250; their ids."""
    with acting(credit):
        buyer = customer(limit="1000", mode="block").id
        sold(buyer, "700", user_id=credit.ids["sam"])
        ids = {"customer": buyer, **{name: quotation(buyer, amount, credit.ids["sam"]).id
                                     for name, amount in (("big", "400"), ("exact", "300"),
                                                          ("small", "250"))}}
        db.session.commit()
    return ids


def order_state(app, order_id):
    with app.app_context():
        return db.session.get(Order, order_id).state


def test_a_block_refuses_past_the_limit_and_changes_nothing(credit, near):
    api = Api(credit.test_client(), token_for(credit, "sam"))
    refused = api("POST", f"sale.order/{near['big']}/confirm")
    assert refused.status_code == 409
    error = refused.json["error"]
    assert error["code"] == "credit_limit_exceeded"
    assert "1,100.00" in error["message"] and "1,000.00" in error["message"]
    with credit.app_context():
        assert db.session.get(Order, near["big"]).state == "draft"
        assert db.session.execute(sa.select(sa.func.count(Invoice.id))).scalar() == 1
        assert exposure(near["customer"]) == Decimal(700)
    # up to the limit exactly is fine; then even a small one is refused
    exact = api("POST", f"sale.order/{near['exact']}/confirm")
    assert (exact.status_code, exact.json["state"]) == (200, "confirmed")
    assert api("POST", f"sale.order/{near['small']}/confirm").json["error"]["code"] == (
        "credit_limit_exceeded")
    # paying an invoice makes room
    with acting(credit, "bea"):
        from modules.billing import services as billing

        draft = db.session.execute(sa.select(Invoice).order_by(Invoice.id)).scalars().first()
        billing.post(draft)
        billing.register_payment(near["customer"], Decimal(700), [draft.id])
        db.session.commit()
    assert api("POST", f"sale.order/{near['small']}/confirm").status_code == 200


def test_the_service_raises_sales_error(ctx):
    buyer = customer(limit="100", mode="block").id
    made = quotation(buyer, "101")
    with pytest.raises(Refusal) as caught:
        sales.confirm(made)
    assert caught.value.code == "credit_limit_exceeded"
    assert made.state == "draft"
    # a customer without a limit, or with an empty one, is not checked
    from modules.credit_limit import services

    assert sales.confirm(quotation(customer("No limit").id, "1000000")) == []
    empty = customer("Empty limit").id
    services.set_credit(empty, None, "block")
    assert sales.confirm(quotation(empty, "1000000")) == []


def test_a_warning_confirms_with_a_note(ctx):
    buyer = customer(limit="100", mode="warn").id
    made = quotation(buyer, "150")
    [warning] = [w.message for w in sales.confirm(made)]
    assert made.state == "confirmed"
    assert "150.00" in warning and "100.00" in warning
    db.session.flush()
    assert notes("sale.order", made.id) == [warning]
    # within the limit: no warning, no note
    other = quotation(customer("Other", limit="100", mode="warn").id, "100")
    assert sales.confirm(other) == []
    db.session.flush()
    assert notes("sale.order", other.id) == []


def test_a_managers_override_lets_a_block_through_and_is_kept(credit, near):
    mia = Api(credit.test_client(), token_for(credit, "mia"))
    done = mia("POST", f"sale.order/{near['big']}/confirm",
               {"override": "Paid in cash on delivery"})
    assert (done.status_code, done.json["state"]) == (200, "confirmed"), done.json
    with credit.app_context():
        kept = notes("sale.order", near["big"])
    assert any("Paid in cash on delivery" in n for n in kept)
    assert any("credit limit" in n for n in kept)
    # without a reason a manager is refused like anyone
    refused = mia("POST", f"sale.order/{near['small']}/confirm", {"override": ""})
    assert refused.json["error"]["code"] == "credit_limit_exceeded"
    # a salesperson may not give an override at all
    sam = Api(credit.test_client(), token_for(credit, "sam"))
    refused = sam("POST", f"sale.order/{near['small']}/confirm", {"override": "Trust me"})
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "forbidden")
    assert order_state(credit, near["small"]) == "draft"
    with credit.app_context():
        assert not any("Trust me" in n for n in notes("sale.order", near["small"]))


def test_the_order_page(credit, near, mia_client, sam_client):
    refused = sam_client.post(f"/sales/orders/{near['big']}/confirm", follow_redirects=True)
    assert refused.status_code == 200 and "credit limit" in refused.text
    assert order_state(credit, near["big"]) == "draft"
    # a salesperson may not write an override at all
    assert sam_client.post(f"/sales/orders/{near['big']}/confirm",
                           data={"override": "Trust me"}).status_code == 403
    assert order_state(credit, near["big"]) == "draft"
    done = mia_client.post(f"/sales/orders/{near['big']}/confirm",
                           data={"override": "Director approved"}, follow_redirects=True)
    assert done.status_code == 200
    assert order_state(credit, near["big"]) == "confirmed"
    with credit.app_context():
        assert any("Director approved" in n for n in notes("sale.order", near["big"]))
    assert "Director approved" in mia_client.get(f"/sales/orders/{near['big']}").text


def test_a_contacts_order_counts_against_the_companys_limit(ctx):
    company = customer("Hoa Sen Co", limit="500", mode="block", is_company=True)
    contact = customer("Lan", parent_id=company.id)
    sold(company.id, "300")
    with pytest.raises(Refusal) as caught:
        sales.confirm(quotation(contact.id, "250"))
    assert caught.value.code == "credit_limit_exceeded"

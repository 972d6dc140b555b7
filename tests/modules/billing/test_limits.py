"""Billing refuses what it cannot compute with (issue 14): a payment term whose days run past
any date ("100@9999999" broke every invoice of its customers), and payments of nothing."""
from __future__ import annotations

import sqlalchemy as sa

from core.db import db

from ...conftest import login
from ...core.test_api import Api, token_for
from .conftest import acting, invoice, partner


def test_a_term_that_falls_due_past_ten_years_is_refused(billing):
    client = login(billing.test_client(), "max")
    for schedule in ("100@9999999", "50@0, 50@3651", "NaN@0", "sNaN", "100@-1", "1e3@0"):
        response = client.post("/billing/terms/new", data={"name": f"T {schedule}",
                                                           "schedule": schedule})
        assert response.status_code == 422, schedule
    assert client.post("/billing/terms/new", data={
        "name": "Ten years", "schedule": "50@, 50@3650"}).status_code == 302


def test_an_invoice_of_a_customer_with_an_old_broken_term_is_refused_not_500(billing):
    """A term stored before the rule: posting refuses with the term's problem."""
    from modules.billing import services
    from modules.billing.models import Invoice, PaymentTerm

    with acting(billing):
        customer = partner("Hoa Sen").id
        db.session.execute(sa.insert(PaymentTerm).values(name="Forever",
                                                         schedule="100@9999999"))
        term_id = db.session.execute(sa.select(PaymentTerm.id).where(
            PaymentTerm.name == "Forever")).scalar()
        services.set_term(customer, term_id)
        draft = invoice(customer).id
        db.session.commit()
    api = Api(billing.test_client(), token_for(billing, "max"))
    response = api("POST", f"billing.invoice/{draft}/post")
    assert response.status_code == 422, response.json
    assert "schedule" in response.json["error"]["details"]
    with billing.app_context():
        assert db.session.get(Invoice, draft).state == "draft"


def test_a_payment_of_nothing_is_refused_naming_the_amount(billing):
    with billing.app_context():
        customer = partner("Hoa Sen").id
        db.session.commit()
    api = Api(billing.test_client(), token_for(billing, "max"))
    for amount in ("0", "-5", 0, "0.001"):
        response = api("POST", "billing.payment", {"partner_id": customer, "amount": amount})
        assert response.status_code == 422 and "amount" in response.json["error"]["details"]

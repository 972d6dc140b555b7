"""Issue 15, "Overpayment vanishes": what a payment does not allocate is the customer's
credit, said on the payment form and in the flash, shown on the contact and in receivables,
applied to a later invoice ("Apply credit"), and given back by unreconciling a payment; the
API shows a payment's allocated and unallocated amounts and reaches both actions."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from core.db import db
from core.timeline import TimelineEntry
from modules.billing import receivables, services
from modules.billing.models import Invoice, Payment, PaymentAllocation

from ...conftest import login
from ...core.test_api import Api, token_for
from .conftest import acting, partner, posted


def _entries(model, record_id, kind) -> list:
    return db.session.execute(sa.select(TimelineEntry).where(
        TimelineEntry.model == model, TimelineEntry.record_id == record_id,
        TimelineEntry.kind == kind).order_by(TimelineEntry.id)).scalars().all()


def _overpaid(app, amount="775.47", paid="5000"):
    """A customer with a posted invoice of `amount` and a payment of `paid` on it."""
    with acting(app):
        customer = partner().id
        bill = posted(customer, amount).id
        payment = services.register_payment(customer, Decimal(paid), [bill]).id
        db.session.commit()
    return customer, bill, payment


def test_the_flash_and_the_forms_say_what_is_kept_as_credit(billing, bea_client):
    with acting(billing):
        customer = partner().id
        bill = posted(customer, "775.47").id
        db.session.commit()
    form = bea_client.get(f"/billing/invoices/{bill}").text
    assert "kept as the customer&#39;s credit" in form or "kept as the customer's credit" in form
    answer = bea_client.post(f"/billing/invoices/{bill}/pay",
                             data={"amount": "5,000.00", "method": "bank"},
                             follow_redirects=True)
    assert answer.status_code == 200
    text = answer.text.replace("&#39;", "'")
    assert "4,224.53" in text and "will be kept as the customer's credit" in text
    assert "5,000.00" in text  # the amount paid, formatted too
    new = bea_client.get(f"/billing/payments/new?partner_id={customer}").text
    assert "payment-credit-note" in new and "4,224.53" in new  # the credit is offered
    with billing.app_context():
        assert services.credit_of(customer) == Decimal("4224.53")
        assert db.session.get(Invoice, bill).state == "paid"


def test_a_payment_without_invoices_is_all_credit_and_the_flash_says_so(billing, bea_client):
    with acting(billing):
        customer = partner("Lone").id
        db.session.commit()
    answer = bea_client.post("/billing/payments/new", data={
        "partner_id": customer, "amount": "250", "method": "cash"}, follow_redirects=True)
    text = answer.text.replace("&#39;", "'")
    assert "250.00 will be kept as the customer's credit" in text.replace("$", "") \
        or ("250.00" in text and "will be kept as the customer's credit" in text)


def test_the_credit_shows_on_the_contact_and_in_receivables(billing, bea_client):
    customer, _bill, _payment = _overpaid(billing)
    with acting(billing):
        other = partner("Owes").id
        posted(other, "300")
        db.session.commit()
    page = bea_client.get(f"/contacts/partners/{customer}").text
    assert "partner-credit" in page and "4,224.53" in page
    with billing.app_context():
        rows = {r["partner_id"]: r for r in receivables.receivables()}
    # the customer with only a credit has a row; the net balance deducts the credit
    assert (rows[customer]["total"], rows[customer]["credit"], rows[customer]["net"]) == (
        Decimal(0), Decimal("4224.53"), Decimal("-4224.53"))
    assert (rows[other]["credit"], rows[other]["net"]) == (Decimal(0), Decimal(300))
    report = bea_client.get("/billing/receivables").text
    assert "ageing-credit" in report and "4,224.53" in report and "Net balance" in report


def test_apply_credit_settles_a_later_invoice_from_the_oldest_payments(billing):
    customer, _bill, first = _overpaid(billing, "100", "130")  # 30 credit
    with acting(billing):
        second = services.register_payment(customer, Decimal("50")).id  # 50 credit
        later = posted(customer, "70").id
        db.session.commit()
    api = Api(billing.test_client(), token_for(billing, "bea"))
    answer = api("POST", f"billing.invoice/{later}/apply_credit")
    assert answer.status_code == 200, answer.json
    with billing.app_context():
        invoice = db.session.get(Invoice, later)
        assert (invoice.state, invoice.amount_residual) == ("paid", Decimal(0))
        # the oldest payment first: all of its 30, then 40 of the second's 50
        assert db.session.get(Payment, first).unallocated == Decimal(0)
        assert db.session.get(Payment, second).unallocated == Decimal(10)
        assert db.session.execute(sa.select(PaymentAllocation.payment_id,
                                            PaymentAllocation.amount).where(
            PaymentAllocation.invoice_id == later).order_by(PaymentAllocation.id)).all() == [
            (first, Decimal(30)), (second, Decimal(40))]
        assert [e.body for e in _entries("billing.invoice", later, "action")] == [
            "apply_credit"]
        assert _entries("billing.payment", second, "update")[-1].changes["unallocated"] == [
            "50.00", "10.00"]
    # nothing is due any more: the action is refused
    again = api("POST", f"billing.invoice/{later}/apply_credit")
    assert again.status_code == 409


def test_apply_credit_without_credit_is_refused_and_not_offered(billing, bea_client):
    with acting(billing):
        bill = posted(partner().id, "40").id
        db.session.commit()
    assert "action-apply_credit" not in bea_client.get(f"/billing/invoices/{bill}").text
    api = Api(billing.test_client(), token_for(billing, "bea"))
    answer = api("POST", f"billing.invoice/{bill}/apply_credit")
    assert answer.status_code in (409, 422)
    assert answer.json["error"]["code"] == "nothing_to_do"


def test_a_partial_credit_leaves_the_rest_due(billing, bea_client):
    customer, _bill, payment = _overpaid(billing, "100", "125")  # 25 credit
    with acting(billing):
        later = posted(customer, "60").id
        db.session.commit()
    page = bea_client.get(f"/billing/invoices/{later}").text
    assert "action-apply_credit" in page and "invoice-credit" in page
    answer = bea_client.post(f"/billing/invoices/{later}/apply_credit", follow_redirects=True)
    assert answer.status_code == 200
    with billing.app_context():
        invoice = db.session.get(Invoice, later)
        assert (invoice.state, invoice.amount_residual) == ("posted", Decimal(35))
        assert db.session.get(Payment, payment).unallocated == Decimal(0)


def test_unreconcile_gives_the_payment_back_as_credit(billing):
    with acting(billing):
        customer = partner().id
        one, two = posted(customer, "100").id, posted(customer, "50").id
        payment = services.register_payment(customer, Decimal("120"), [one, two]).id
        db.session.commit()
        assert db.session.get(Invoice, one).state == "paid"
    bea = Api(billing.test_client(), token_for(billing, "bea"))
    assert bea("POST", f"billing.payment/{payment}/unreconcile").status_code == 403
    max_ = Api(billing.test_client(), token_for(billing, "max"))
    answer = max_("POST", f"billing.payment/{payment}/unreconcile")
    assert answer.status_code == 200, answer.json
    with billing.app_context():
        first, second = db.session.get(Invoice, one), db.session.get(Invoice, two)
        assert (first.state, first.amount_paid, first.amount_residual) == (
            "posted", Decimal(0), Decimal(100))
        assert (second.state, second.amount_residual) == ("posted", Decimal(50))
        assert db.session.get(Payment, payment).unallocated == Decimal(120)
        assert not db.session.execute(sa.select(PaymentAllocation).where(
            PaymentAllocation.payment_id == payment)).first()
        assert services.credit_of(customer) == Decimal(120)
        # both sides: the action on the payment, the change on each invoice
        assert [e.body for e in _entries("billing.payment", payment, "action")] == [
            "unreconcile"]
        assert _entries("billing.invoice", one, "update")[-1].changes["state"] == [
            "paid", "posted"]
        assert _entries("billing.invoice", two, "update")[-1].changes[
            "amount_residual"] == ["30.00", "50.00"]
    # nothing allocated any more: refused
    assert max_("POST", f"billing.payment/{payment}/unreconcile").status_code == 409
    # and the credit settles the invoices again
    assert max_("POST", f"billing.invoice/{one}/apply_credit").status_code == 200
    with billing.app_context():
        assert db.session.get(Invoice, one).state == "paid"
        assert db.session.get(Payment, payment).unallocated == Decimal(20)


def test_the_payment_page_offers_unreconcile_to_a_manager(billing):
    _customer, _bill, payment = _overpaid(billing, "100", "100")
    page = login(billing.test_client(), "max").get(f"/billing/payments/{payment}").text
    assert "action-unreconcile" in page
    assert "action-unreconcile" not in login(billing.test_client(), "bea").get(
        f"/billing/payments/{payment}").text


def test_the_api_shows_allocated_and_unallocated(billing):
    _customer, _bill, payment = _overpaid(billing)
    api = Api(billing.test_client(), token_for(billing, "bea"))
    found = api("GET", f"billing.payment/{payment}").json
    assert (Decimal(found["amount"]), Decimal(found["allocated"]),
            Decimal(found["unallocated"])) == (Decimal(5000), Decimal("775.47"),
                                               Decimal("4224.53"))


def test_receivables_show_a_page_of_customers_with_the_totals_of_all(billing, bea_client,
                                                                     monkeypatch):
    from modules.billing import views

    with acting(billing):
        owing = [partner(f"Owing {i}").id for i in range(3)]
        for customer in owing:
            posted(customer, "100")
        ahead = partner("Paid ahead").id  # only a credit: a row of its own, last by name
        services.register_payment(ahead, Decimal(40))
        db.session.commit()
    monkeypatch.setattr(views, "RECEIVABLES_PAGE", 2)
    first = bea_client.get("/billing/receivables").text
    assert first.count('data-partner="') == 2 and "Customers 1–2 of 4" in first
    assert "300.00" in first.split('class="text-end fw-semibold ageing-total"')[1][:80]
    assert "40.00" in first.split('class="text-end ageing-credit"')[-1][:80]
    assert "260.00" in first.split('class="text-end fw-semibold ageing-net"')[-1][:80]
    second = bea_client.get("/billing/receivables?page=2").text
    assert second.count('data-partner="') == 2 and f'data-partner="{owing[2]}"' in second
    assert f'data-partner="{ahead}"' in second
    assert bea_client.get("/billing/receivables?page=99").text.count('data-partner="') == 2

"""Invoices under racing requests: posting twice at once (a double click, two clerks) numbers
it once, a delete or an order's cancellation racing a post does not undo a numbered
invoice. Each request runs in its own thread with its own client, session and database
connection (tests/races.py); on PostgreSQL the first one is held at its commit until the
other is seen waiting, so the overlap is certain."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.db import db
from core.sequences import Sequence
from core.timeline import TimelineEntry
from modules.billing.models import Invoice, InvoiceDue

from ...core.test_api import Api, token_for
from ...races import Hold, locking, needs_postgres, together
from .conftest import acting, invoice, line, order, partner

pytestmark = pytest.mark.postgres
YEAR = date.today().year
RACERS = 6


def _numbers_used(prefix="INV") -> int:
    return db.session.execute(sa.select(Sequence.value).where(
        Sequence.key == f"{prefix}{YEAR}")).scalar() or 0


def _actions(model, record_id) -> list[str]:
    return db.session.execute(sa.select(TimelineEntry.body).where(
        TimelineEntry.model == model, TimelineEntry.record_id == record_id,
        TimelineEntry.kind == "action")).scalars().all()


def test_posting_an_invoice_at_once_from_several_requests_numbers_it_once(billing, db_url):
    with acting(billing):
        bill = invoice(partner().id, line("Goods", "1", "10")).id
        db.session.commit()
    token = token_for(billing, "max")

    def post():
        return (lambda: Api(billing.test_client(), token),
                lambda api: api("POST", f"billing.invoice/{bill}/post"))

    with Hold(db_url, locking("billing_invoice")).on(billing) as hold:
        answers = together(*[post() for _ in range(RACERS)])
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [409] * (RACERS - 1), [a.json for a in answers]
    assert {a.json["error"]["code"] for a in answers if a.status_code == 409} == {
        "invalid_state"}
    assert hold.overlapped or "postgresql" not in db_url
    with billing.app_context():
        posted = db.session.get(Invoice, bill)
        assert (posted.state, posted.name) == ("posted", f"INV{YEAR}-00001")
        assert _numbers_used() == 1  # no number lost to a loser
        dues = db.session.execute(sa.select(InvoiceDue.amount).where(
            InvoiceDue.invoice_id == bill)).scalars().all()
        assert dues == [Decimal("10.00")]  # 10.00 due on a 10.00 invoice, once
        assert _actions("billing.invoice", bill) == ["post"]


def test_posting_from_the_page_twice_at_once_numbers_it_once(billing, db_url):
    from ...conftest import login

    with acting(billing):
        bill = invoice(partner().id, line("Goods", "1", "10")).id
        db.session.commit()

    def post():
        return (lambda: login(billing.test_client(), "max"),
                lambda client: client.post(f"/billing/invoices/{bill}/post"))

    with Hold(db_url, locking("billing_invoice")).on(billing):
        answers = together(post(), post())
    # the page redirects either way: the winner with its success, the other with the refusal
    assert sorted(a.status_code for a in answers) == [302, 303]
    with billing.app_context():
        assert _numbers_used() == 1
        assert db.session.execute(sa.select(sa.func.count(InvoiceDue.id)).where(
            InvoiceDue.invoice_id == bill)).scalar() == 1
        assert _actions("billing.invoice", bill) == ["post"]


@pytest.mark.parametrize("via", ["api", "page"])
def test_a_draft_deleted_while_it_is_posted_is_not_deleted(billing, db_url, via):
    """The delete reads the invoice while the post holds it: were the delete to check
    "is it a draft?" before locking, it would delete a numbered invoice (a hole in the
    gapless numbers)."""
    needs_postgres(db_url)
    from ...conftest import login

    with acting(billing):
        bill = invoice(partner().id, line("Goods", "1", "10")).id
        db.session.commit()
    token = token_for(billing, "max")
    hold = Hold(db_url, locking("billing_invoice"))

    def post():
        return (lambda: Api(billing.test_client(), token),
                lambda api: api("POST", f"billing.invoice/{bill}/post"))

    def delete():
        def prepare():
            return Api(billing.test_client(), token) if via == "api" else login(
                billing.test_client(), "max")

        def act(client):
            assert hold.first_in.wait(10)  # the post holds the invoice's row
            if via == "api":
                return client("DELETE", f"billing.invoice/{bill}")
            return client.post(f"/billing/invoices/{bill}/delete")
        return prepare, act

    with hold.on(billing):
        posted, deleted = together(post(), delete())
    assert hold.overlapped
    assert posted.status_code == 200
    assert deleted.status_code == (409 if via == "api" else 302)
    with billing.app_context():
        kept = db.session.get(Invoice, bill)
        assert kept is not None and (kept.state, kept.name) == ("posted", f"INV{YEAR}-00001")


def test_an_order_cancelled_while_its_invoice_is_posted(shop, db_url):
    """Posting an order's draft invoice and cancelling the order at once: either the post
    wins (the order is refused: it has a posted invoice) or the cancel does (its draft
    invoice is cancelled and the post refused), never both."""
    needs_postgres(db_url)
    with acting(shop, "ada"):
        made = order(partner().id)
        bill = db.session.execute(sa.select(Invoice.id).where(
            Invoice.order_id == made.id)).scalar_one()
        made_id = made.id
        db.session.commit()
    token = token_for(shop, "ada")
    hold = Hold(db_url, locking("billing_invoice"))

    def post():
        return (lambda: Api(shop.test_client(), token),
                lambda api: api("POST", f"billing.invoice/{bill}/post"))

    def cancel():
        def act(api):
            assert hold.first_in.wait(10)
            return api("POST", f"sale.order/{made_id}/cancel")
        return lambda: Api(shop.test_client(), token), act

    with hold.on(shop):
        posted, cancelled = together(post(), cancel())
    assert hold.overlapped
    assert (posted.status_code, cancelled.status_code) == (200, 409), cancelled.json
    assert cancelled.json["error"]["code"] == "has_invoices"
    with shop.app_context():
        from modules.sales.models import Order

        assert db.session.get(Order, made_id).state == "confirmed"
        assert db.session.get(Invoice, bill).state == "posted"


def test_a_credit_note_posted_while_the_invoice_is_paid_loses_no_payment(billing, db_url):
    """A payment settles the invoice while its credit note is posted: the credit note's
    post reads the invoice after the payment, so both count (paid 60, credited 40, and
    the other 60 of the credit note stays owed back to the customer)."""
    needs_postgres(db_url)
    from modules.billing import services

    from .conftest import posted as posted_invoice

    with acting(billing):
        customer = partner().id
        bill = posted_invoice(customer, "100").id
        credit = services.credit_note(db.session.get(Invoice, bill)).id
        db.session.commit()
    token = token_for(billing, "max")
    hold = Hold(db_url, locking("billing_invoice"))

    def pay():
        return (lambda: Api(billing.test_client(), token),
                lambda api: api("POST", "billing.payment", {
                    "partner_id": customer, "amount": "60", "invoice_ids": [bill]}))

    def post_credit():
        def act(api):
            assert hold.first_in.wait(10)  # the payment holds the invoice
            return api("POST", f"billing.invoice/{credit}/post")
        return lambda: Api(billing.test_client(), token), act

    with hold.on(billing):
        paid, credited = together(pay(), post_credit())
    assert hold.overlapped
    assert (paid.status_code, credited.status_code) == (201, 200), (paid.json, credited.json)
    with billing.app_context():
        original = db.session.get(Invoice, bill)
        note = db.session.get(Invoice, credit)
        assert (original.state, original.amount_paid, original.amount_residual) == (
            "paid", Decimal("100.00"), Decimal("0.00"))
        assert (note.amount_paid, note.amount_residual) == (Decimal("40.00"),
                                                            Decimal("60.00"))


def test_applying_one_credit_to_two_invoices_at_once_never_allocates_more_than_it(
        billing, db_url):
    """Issue 15: a customer's credit of 100 applied at the same moment to two invoices of 80
    each: the payments are locked, so one takes 80 and the other the 20 left, never 160."""
    from modules.billing import services
    from modules.billing.models import Payment, PaymentAllocation

    needs_postgres(db_url)
    with acting(billing):
        customer = partner().id
        payment = services.register_payment(customer, Decimal(100)).id
        bills = [posted_invoice(customer, "80") for _ in range(2)]
        db.session.commit()
    token = token_for(billing, "bea")

    def apply(bill):
        return (lambda: Api(billing.test_client(), token),
                lambda api: api("POST", f"billing.invoice/{bill}/apply_credit"))

    with Hold(db_url, locking("billing_payment")).on(billing) as hold:
        answers = together(*[apply(bill) for bill in bills])
    assert [a.status_code for a in answers] == [200, 200], [a.json for a in answers]
    assert hold.overlapped
    with billing.app_context():
        allocated = db.session.execute(sa.select(sa.func.sum(PaymentAllocation.amount)).where(
            PaymentAllocation.payment_id == payment)).scalar()
        assert allocated == Decimal(100)
        assert db.session.get(Payment, payment).unallocated == Decimal(0)
        dues = sorted(db.session.get(Invoice, bill).amount_residual for bill in bills)
        assert dues == [Decimal(0), Decimal(60)]


def posted_invoice(customer, amount):
    from .conftest import posted

    return posted(customer, amount).id

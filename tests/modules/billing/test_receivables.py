"""Receivables: open amounts per customer in ageing buckets (per installment, payments
covering the earliest first), and the daily overdue reminders to the salesperson."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.db import db
from core.notifications import Notification
from modules.billing import receivables, services

from .conftest import count, invoice, partner, posted

TODAY = date(2026, 6, 30)


def days_ago(n):
    return TODAY - timedelta(days=n)


@pytest.fixture
def book(ctx):
    """Invoices of three customers at known ages on TODAY; their ids."""
    alpha, beta, gamma = (partner(n).id for n in ("Alpha", "Beta", "Gamma"))
    posted(alpha, "100", on=days_ago(10), terms="30 days")  # due in 20 days: not due
    posted(alpha, "50", on=TODAY, terms="Immediate")  # due today: not due
    posted(alpha, "200", on=days_ago(1))  # 1 day late
    posted(alpha, "250", on=days_ago(30))  # 30 days late: still 1-30
    posted(alpha, "300", on=days_ago(31))  # 31-60
    posted(beta, "400", on=days_ago(90))  # 61-90
    part = posted(beta, "500", on=days_ago(91))  # over 90, partly paid
    services.register_payment(beta, Decimal(120), [part.id])
    # half due 100 days ago (over 90), half 40 days ago (31-60); 600 paid covers the first
    # half and 100 of the second
    split = posted(gamma, "1000", on=days_ago(100), terms="50% now, 50% in 60 days")
    services.register_payment(gamma, Decimal(600), [split.id])
    # not receivables: paid, draft, cancelled, credit notes
    services.register_payment(gamma, Decimal(70), [posted(gamma, "70", on=days_ago(200)).id])
    invoice(gamma, on=days_ago(200))
    services.cancel(posted(alpha, "999", on=days_ago(200)))
    refund = services.credit_note(posted(beta, "10", on=days_ago(5)))
    services.post(refund)
    db.session.flush()
    return {"alpha": alpha, "beta": beta, "gamma": gamma}


def buckets(row):
    return tuple(row[k] for k in (*receivables.BUCKETS, "total"))


def test_ageing_buckets(book):
    rows = receivables.ageing(today=TODAY)
    assert [r["partner"] for r in rows] == ["Alpha", "Beta", "Gamma"]
    by_name = {r["partner"]: buckets(r) for r in rows}
    d = Decimal
    assert by_name == {
        #          not due   1-30    31-60   61-90   over 90  total
        "Alpha": (d(150), d(450), d(300), d(0), d(0), d(900)),
        "Beta": (d(0), d(0), d(0), d(400), d(380), d(780)),
        "Gamma": (d(0), d(0), d(400), d(0), d(0), d(400)),
    }
    assert [r["partner_id"] for r in rows] == [book["alpha"], book["beta"], book["gamma"]]
    # one customer; the same invoices 30 days later
    assert [buckets(r) for r in receivables.ageing(today=TODAY, partner_id=book["beta"])] == [
        by_name["Beta"]]
    later = {r["partner"]: buckets(r) for r in receivables.ageing(TODAY + timedelta(days=30))}
    assert later["Alpha"] == (d(0), d(150), d(450), d(300), d(0), d(900))
    assert later["Gamma"] == (d(0), d(0), d(0), d(400), d(0), d(400))


def test_ageing_of_a_salespersons_customers(ctx):
    mine = partner("Mine", salesperson_id=ctx.ids["bea"]).id
    partner("Theirs", salesperson_id=ctx.ids["max"])
    posted(mine, "10", on=days_ago(3))
    posted(partner("Nobody's").id, "20", on=days_ago(3))
    rows = receivables.ageing(today=TODAY, salesperson_id=ctx.ids["bea"])
    assert [(r["partner"], r["1_30"]) for r in rows] == [("Mine", Decimal(10))]


def reminders(user_id=None):
    query = sa.select(Notification.subject, Notification.link).order_by(Notification.id)
    if user_id:
        query = query.where(Notification.user_id == user_id)
    return db.session.execute(query).all()


def test_overdue_reminders_go_to_the_salesperson_once_a_week(ctx):
    customer = partner("Alpha", salesperson_id=ctx.ids["bea"]).id
    late = posted(customer, "100", on=days_ago(10))
    posted(customer, "100", on=days_ago(10), terms="30 days")  # not due yet
    paid = posted(customer, "40", on=days_ago(10), terms="Immediate")
    services.register_payment(customer, Decimal(40), [paid.id])
    posted(partner("No salesperson").id, "100", on=days_ago(10))
    db.session.flush()
    assert receivables.remind_overdue(today=TODAY) == "1 overdue reminders"
    assert reminders() == [(f"Overdue: {late.name} of Alpha", f"/billing/invoices/{late.id}")]
    assert reminders(ctx.ids["bea"]) == reminders()
    body = db.session.execute(sa.select(Notification.body)).scalar()
    assert "10 days overdue" in body and late.name in body
    assert late.reminded_on == TODAY
    # the job runs every day: the same invoice again only a week later
    for day in range(0, 7):
        receivables.remind_overdue(today=TODAY + timedelta(days=day))
    assert count(Notification) == 1
    assert receivables.remind_overdue(today=TODAY + timedelta(days=7)) == "1 overdue reminders"
    assert count(Notification) == 2
    # settled: no more reminders
    services.register_payment(customer, Decimal(100), [late.id])
    assert receivables.remind_overdue(today=TODAY + timedelta(days=15)) == "0 overdue reminders"


def test_the_reminder_interval_is_a_setting(ctx):
    from core.settings import set_setting

    set_setting("billing.remind_days", "2")
    posted(partner("Alpha", salesperson_id=ctx.ids["bea"]).id, "100", on=days_ago(10))
    for day in range(0, 5):
        receivables.remind_overdue(today=TODAY + timedelta(days=day))
    assert count(Notification) == 3  # days 0, 2 and 4


def test_no_reminder_when_only_installments_not_yet_due_are_open(ctx):
    customer = partner("Alpha", salesperson_id=ctx.ids["bea"]).id
    split = posted(customer, "1000", on=days_ago(10), terms="50% now, 50% in 60 days")
    services.register_payment(customer, Decimal(500), [split.id])
    assert [buckets(r) for r in receivables.ageing(today=TODAY)] == [
        (Decimal(500), 0, 0, 0, 0, Decimal(500))]  # nothing is late
    receivables.remind_overdue(today=TODAY)
    assert reminders() == []


def test_an_invoices_installments_show_what_is_still_open(ctx, bea_client):
    customer = partner("Delta").id
    split = posted(customer, "1000", on=days_ago(100), terms="50% now, 50% in 60 days")
    services.register_payment(customer, Decimal(600), [split.id])
    assert [(d["amount"], d["open"]) for d in receivables.installments(split)] == [
        (Decimal(500), Decimal(0)), (Decimal(500), Decimal(400))]
    db.session.commit()
    page = bea_client.get(f"/billing/invoices/{split.id}").text
    first, second = page.split('class="list-group-item')[1:3]
    assert "Paid" in first and "text-danger" not in first  # settled: not shown as late
    assert "$400.00 still open" in second


def test_the_open_amounts_are_kept_by_customer_and_due_date(book):
    """The ageing reads sums kept as invoices and payments change (models.OpenByDueDate):
    they stay what each invoice's installments have open (`installments`), through
    payments, unreconciling, credit notes and cancelling. So do the counts the invoice
    and payment lists' groups read (InvoiceCounts, PaymentCounts)."""
    from modules.billing.models import (
        Invoice,
        InvoiceCounts,
        OpenByDay,
        OpenByDueDate,
        Payment,
        PaymentCounts,
    )

    from ...sums import assert_kept, kept

    def by_hand():
        found = {}
        for bill in db.session.execute(sa.select(Invoice).where(
                Invoice.state == "posted", Invoice.kind == "invoice")).scalars():
            for due in receivables.installments(bill):
                if due["open"]:
                    key = (bill.partner_id, due["date_due"])
                    found[key] = found.get(key, Decimal(0)) + due["open"]
        return found

    def open_amounts():
        return {key: values[0] for key, values in kept(OpenByDueDate).items() if values[0]}

    assert_kept(OpenByDueDate, OpenByDay, InvoiceCounts, PaymentCounts)
    assert open_amounts() == by_hand()
    assert receivables.ageing_totals(today=TODAY)["total"] == Decimal(2080)
    gamma = book["gamma"]
    late = posted(gamma, "80", on=days_ago(45), terms="50% now, 50% in 60 days")
    payment = services.register_payment(gamma, Decimal(50), [late.id])
    assert_kept(OpenByDueDate, OpenByDay, InvoiceCounts, PaymentCounts)
    assert open_amounts() == by_hand()
    services.unreconcile(db.session.get(Payment, payment.id))
    assert_kept(OpenByDueDate, OpenByDay, InvoiceCounts, PaymentCounts)
    assert open_amounts() == by_hand()
    services.post(services.credit_note(late))
    assert_kept(OpenByDueDate, OpenByDay, InvoiceCounts, PaymentCounts)
    assert open_amounts() == by_hand()
    db.session.commit()
    assert_kept(OpenByDueDate, OpenByDay, InvoiceCounts, PaymentCounts)

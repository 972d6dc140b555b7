"""Amounts in messages are money in the reader's locale (issue 15): the payment's flash,
the overdue reminder."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from core.auth.models import User
from core.db import db
from core.notifications import Notification
from modules.billing import receivables

from .conftest import acting, partner, posted

TODAY = date(2026, 6, 30)


def test_the_payment_flash_in_vietnamese(billing, bea_client):
    with acting(billing):
        bill = posted(partner().id, "1500").id
        db.session.execute(sa.update(User).where(User.login == "bea").values(lang="vi"))
        db.session.commit()
    answer = bea_client.post(f"/billing/invoices/{bill}/pay",
                             data={"amount": "1000", "method": "bank"}, follow_redirects=True)
    assert "1.000,00\xa0US$" in answer.text
    assert "1000.00" not in answer.text


def test_the_overdue_reminder_says_the_amount_as_money(ctx):
    customer = partner("Alpha", salesperson_id=ctx.ids["bea"]).id
    posted(customer, "1234.5", on=TODAY - timedelta(days=10))
    db.session.execute(sa.update(User).where(User.login == "bea").values(lang="vi"))
    db.session.flush()
    assert receivables.remind_overdue(today=TODAY) == "1 overdue reminders"
    body = db.session.execute(sa.select(Notification.body)).scalar()
    assert "1.234,50\xa0US$" in body and "1234.50" not in body

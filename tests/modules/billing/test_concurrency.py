"""Two payments of one invoice entered at the same moment from its page (PostgreSQL: on
SQLite a writing request holds the database from its start, so two never overlap)."""
from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from core.db import db
from modules.billing.models import Invoice, PaymentAllocation

from ...conftest import login
from .conftest import acting, partner, posted


def test_two_payments_of_one_invoice_at_once_both_count(billing, db_url):
    if sa.engine.make_url(db_url).get_backend_name() != "postgresql":
        pytest.skip("needs PostgreSQL: on SQLite a writing request begins IMMEDIATE and "
                    "holds the database, so two payments never overlap")
    with billing.app_context():
        engine = db.engine
        with acting(billing):
            bill = posted(partner().id, "100").id
            db.session.commit()
    watcher = sa.create_engine(db_url, isolation_level="AUTOCOMMIT")
    # As in tests/modules/credit_limit/test_race.py: whichever request locks the invoice
    # first is held at its commit until PostgreSQL shows the other one blocked on that lock
    # (it has loaded the invoice for the page already, before asking for the lock).
    guard = threading.Lock()
    arrivals: list[int] = []
    waits_seen: list[bool] = []

    def locked(conn, _cursor, statement, *_args):
        if "billing_invoice" in statement and "FOR UPDATE" in statement:
            conn.info["invoice_locked"] = True

    def committing(conn):
        if not conn.info.pop("invoice_locked", False):
            return
        with guard:
            arrivals.append(threading.get_ident())
            if len(arrivals) > 1:
                return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(arrivals) == 1:
            with watcher.connect() as c:
                if c.execute(sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                        "current_database() AND pid <> pg_backend_pid() AND wait_event_type"
                        " = 'Lock' AND query LIKE '%billing_invoice%'")).scalar():
                    waits_seen.append(True)
                    return
            time.sleep(0.01)

    def rolled_back(conn):
        conn.info.pop("invoice_locked", None)

    clients = [login(billing.test_client(), "bea"), login(billing.test_client(), "max")]
    barrier = threading.Barrier(2)
    answers, errors = [], []

    def pay(client):
        try:
            barrier.wait(timeout=10)
            answers.append(client.post(f"/billing/invoices/{bill}/pay", data={"amount": "60"}))
        except Exception as exc:  # reported below, not lost in the thread
            errors.append(exc)

    event.listen(engine, "after_cursor_execute", locked)
    event.listen(engine, "commit", committing)
    event.listen(engine, "rollback", rolled_back)
    try:
        threads = [threading.Thread(target=pay, args=(c,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        event.remove(engine, "after_cursor_execute", locked)
        event.remove(engine, "commit", committing)
        event.remove(engine, "rollback", rolled_back)
        watcher.dispose()
    assert not errors and [a.status_code for a in answers] == [302, 302]
    assert waits_seen == [True], "the two payments did not overlap"
    with billing.app_context():
        invoice = db.session.get(Invoice, bill)
        allocated = db.session.execute(sa.select(sa.func.sum(PaymentAllocation.amount)).where(
            PaymentAllocation.invoice_id == bill)).scalar()
        assert (invoice.amount_paid, allocated) == (Decimal(100), Decimal(100))
        assert (invoice.state, invoice.amount_residual) == ("paid", Decimal(0))

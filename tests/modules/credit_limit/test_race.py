"""Two confirmations racing for the last of a customer's credit: one passes, the other is
refused, because the check locks the customer's credit row until the first one commits."""
from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from core.db import db
from modules.sales.models import Order

from ...core.test_api import Api, token_for
from .conftest import acting, customer, exposure, quotation

ROUNDS = 3  # each round its own customer: three races per database set up


def confirm_together(app, orders, tokens):
    """Confirm each order through the API in its own thread, both starting at once."""
    barrier = threading.Barrier(len(orders))
    answers, errors = {}, []

    def confirm(order_id, token):
        try:
            api = Api(app.test_client(), token)
            barrier.wait(timeout=10)
            answers[order_id] = api("POST", f"sale.order/{order_id}/confirm")
        except Exception as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=confirm, args=(o, t))
               for o, t in zip(orders, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers, errors


def test_two_confirmations_cannot_both_take_the_last_of_the_credit(credit, db_url):
    if sa.engine.make_url(db_url).get_backend_name() != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has a single writer, so two confirmations never "
                    "overlap there and the row lock (FOR UPDATE) is not emitted")
    with credit.app_context():
        engine = db.engine
    watcher = sa.create_engine(db_url, isolation_level="AUTOCOMMIT")

    # How the overlap is made real. Both requests start together (a barrier), each in its
    # own thread, request, app context, session and database connection. Whichever takes
    # the customer's credit row lock first (credit_limit's SELECT ... FOR UPDATE) is held
    # at its COMMIT, its transaction open with its order confirmed, until PostgreSQL shows
    # the other request's transaction blocked on that lock (pg_stat_activity). Only then
    # does it commit; the other then reads the exposure with the first order in it. Were
    # the lock missing, the other would not block: it would pass the check too and reach
    # its own commit, which releases the hold and fails the test. The hold sits in engine
    # events (not a signal handler) because blinker calls handlers in no fixed order.
    guard = threading.Lock()
    arrivals: list[int] = []
    waits_seen: list[bool] = []

    def locked(conn, _cursor, statement, *_args):
        if "partner_credit" in statement and "FOR UPDATE" in statement:
            conn.info["credit_locked"] = True

    def committing(conn):
        if not conn.info.pop("credit_locked", False):
            return
        with guard:
            arrivals.append(threading.get_ident())
            first = len(arrivals) == 1
        if not first:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(arrivals) == 1:
            with watcher.connect() as c:
                blocked = c.execute(sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
                    " AND query LIKE '%partner_credit%'")).scalar()
            if blocked:
                waits_seen.append(True)
                return
            time.sleep(0.01)

    def rolled_back(conn):
        conn.info.pop("credit_locked", None)

    with acting(credit):
        races = []
        for n in range(ROUNDS):
            buyer = customer(f"Customer {n}", limit="1000", mode="block").id
            races.append((buyer, quotation(buyer, "600").id, quotation(buyer, "600").id))
        db.session.commit()
    tokens = [token_for(credit, "mia"), token_for(credit, "mia")]

    event.listen(engine, "after_cursor_execute", locked)
    event.listen(engine, "commit", committing)
    event.listen(engine, "rollback", rolled_back)
    try:
        for buyer, *orders in races:
            arrivals.clear()
            waits_seen.clear()
            answers, errors = confirm_together(credit, orders, tokens)
            assert not errors and len(answers) == 2
            assert waits_seen == [True], "the two confirmations did not overlap"
            statuses = sorted(answers[o].status_code for o in orders)
            assert statuses == [200, 409], {o: answers[o].json for o in orders}
            loser = next(o for o in orders if answers[o].status_code == 409)
            assert answers[loser].json["error"]["code"] == "credit_limit_exceeded"
            with credit.app_context():
                states = {o: db.session.get(Order, o).state for o in orders}
                assert sorted(states.values()) == ["confirmed", "draft"]
                assert states[loser] == "draft"
                assert exposure(buyer) == 600
    finally:
        event.remove(engine, "after_cursor_execute", locked)
        event.remove(engine, "commit", committing)
        event.remove(engine, "rollback", rolled_back)
        watcher.dispose()

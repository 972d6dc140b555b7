"""Helpers of the race tests: requests sent at the same moment from several threads, each
with its own test client, request, app context, session and database connection; and, on
PostgreSQL, a way to make an overlap certain instead of likely."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from core.db import db


def is_postgres(db_url: str) -> bool:
    return sa.engine.make_url(db_url).get_backend_name() == "postgresql"


def needs_postgres(db_url: str) -> None:
    if not is_postgres(db_url):
        pytest.skip("needs PostgreSQL: SQLite has one writer at a time, so these requests "
                    "cannot interleave there")


def together(*calls: Callable, timeout: float = 60) -> list:
    """Run each call in its own thread, all released at once (a barrier); their results in
    the order given. A call is `prepare` or (`prepare`, `act`): `prepare()` runs before the
    barrier (signing in, say) and `act(prepared)` after it."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list = []

    def worker(i, call):
        try:
            prepare, act = call if isinstance(call, tuple) else (None, call)
            prepared = prepare() if prepare else None
            barrier.wait(timeout=timeout)
            results[i] = act(prepared) if prepare else act()
        except Exception as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a racing request did not finish"
    if errors:
        raise errors[0]
    return results


class Hold:
    """Holds the first transaction that runs a statement matching `marker` (e.g. the
    invoice's SELECT ... FOR UPDATE) at its COMMIT until PostgreSQL shows another connection
    waiting for a lock, or `patience` seconds pass: the other request has then certainly
    read or asked for the row while the first one held it uncommitted. `first_in` is set
    once that first statement ran (to start a second request only then); `overlapped`
    tells whether a waiter was seen. On SQLite the hold is a short sleep, during which the
    others queue on the write lock."""

    def __init__(self, db_url: str, marker: Callable[[str], bool], patience: float = 5):
        self.db_url, self.marker, self.patience = db_url, marker, patience
        self.first_in = threading.Event()
        self.overlapped = False
        self._guard = threading.Lock()
        self._held = False

    def _executed(self, conn, _cursor, statement, *_args):
        if self.marker(statement):
            conn.info["race_marked"] = True
            self.first_in.set()

    def _committing(self, conn):
        if not conn.info.pop("race_marked", False):
            return
        with self._guard:
            if self._held:
                return
            self._held = True
        if not is_postgres(self.db_url):
            time.sleep(0.2)
            return
        deadline = time.monotonic() + self.patience
        while time.monotonic() < deadline:
            with self._watcher.connect() as c:
                if c.execute(sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname ="
                        " current_database() AND pid <> pg_backend_pid()"
                        " AND wait_event_type = 'Lock'")).scalar():
                    self.overlapped = True
                    return
            time.sleep(0.01)

    def _rolled_back(self, conn):
        conn.info.pop("race_marked", None)

    @contextmanager
    def on(self, app):
        with app.app_context():
            engine = db.engine
        self._watcher = sa.create_engine(self.db_url, isolation_level="AUTOCOMMIT") \
            if is_postgres(self.db_url) else None
        event.listen(engine, "after_cursor_execute", self._executed)
        event.listen(engine, "commit", self._committing)
        event.listen(engine, "rollback", self._rolled_back)
        try:
            yield self
        finally:
            event.remove(engine, "after_cursor_execute", self._executed)
            event.remove(engine, "commit", self._committing)
            event.remove(engine, "rollback", self._rolled_back)
            if self._watcher is not None:
                self._watcher.dispose()


def locking(table: str) -> Callable[[str], bool]:
    """A Hold marker: a statement that locks or updates a row of `table`."""
    return lambda statement: table in statement and (
        "FOR UPDATE" in statement or statement.lstrip().upper().startswith("UPDATE"))

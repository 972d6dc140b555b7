"""Gapless numbers under concurrency: transactions drawing numbers at the same moment from
several threads (each its own app context, session and connection) never get the same
number, and those that roll back give theirs back, so what is committed has no hole; the
first number of a new key is made once even when several ask for it at once."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from core.db import begin_writing, db
from core.sequences import Sequence, next_number, next_value

from ..races import together

pytestmark = pytest.mark.postgres
THREADS = 8
ROUNDS = 6


def _draw(app, key: str, kept: list, lock: threading.Lock, give_back) -> None:
    for round_ in range(ROUNDS):
        with app.app_context():
            begin_writing()  # as a request or job that writes does
            value = next_value(key)
            if give_back(round_):
                db.session.rollback()
                continue
            db.session.commit()
            with lock:
                kept.append(value)


def test_numbers_drawn_at_once_are_distinct_and_without_gaps(app):
    kept: list[int] = []
    lock = threading.Lock()
    # every thread draws its first number from a key nobody used yet, and a third of the
    # transactions roll back
    together(*[lambda: _draw(app, "T2026", kept, lock, lambda r: r % 3 == 1)
               for _ in range(THREADS)])
    assert len(kept) == THREADS * (ROUNDS - ROUNDS // 3)
    assert sorted(kept) == list(range(1, len(kept) + 1))  # no duplicate, no hole
    with app.app_context():
        assert db.session.get(Sequence, "T2026").value == len(kept)
        assert db.session.execute(sa.select(sa.func.count()).select_from(Sequence).where(
            Sequence.key == "T2026")).scalar() == 1


def test_a_number_is_formatted_per_prefix_and_year(app):
    with app.app_context():
        assert [next_number("SO", 2026) for _ in range(2)] == ["SO2026-00001", "SO2026-00002"]
        assert next_number("SO", 2027) == "SO2027-00001"
        assert next_number("INV", 2026, width=3) == "INV2026-001"
        db.session.rollback()
        assert next_number("SO", 2026) == "SO2026-00001"  # rolled back: given back

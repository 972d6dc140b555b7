"""SQLite, the embedded default, under many requests at once: writers wait their turn for
the write lock instead of failing with "database is locked" (a 500), a page view that reads
and then writes (as a last-used time does) is run again as a writer, and a request that
still cannot get the lock answers 503 with Retry-After, never 500."""
from __future__ import annotations

import sqlite3
import threading
from collections import Counter

import sqlalchemy as sa
from flask import jsonify
from sqlalchemy import event

from core import access
from core.db import db, utcnow
from core.partners.models import Partner

from ..conftest import init_db, login, make_app
from ..races import together
from .test_api import Api, token_for

THREADS = 8
REQUESTS = 30  # per thread


def _app(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'load.sqlite3'}")

    def touch(record_id):
        """A GET that reads and then writes, like a last-used time."""
        partner = db.session.get(Partner, record_id)
        partner.notes = f"seen {utcnow().isoformat()}"
        db.session.commit()
        return jsonify({"id": partner.id})

    app.add_url_rule("/touch/<int:record_id>", "touch", access.signed_in(touch))
    init_db(app)
    with app.app_context():
        db.session.add(Partner(name="Shared"))
        db.session.commit()
    return app


def test_many_writers_at_once_wait_their_turn_and_nobody_gets_a_500(tmp_path):
    app = _app(tmp_path)
    token = token_for(app, "admin")
    statuses: Counter = Counter()
    guard = threading.Lock()

    def prepare():
        return Api(app.test_client(), token), login(app.test_client())

    def hammer(clients):
        api, page = clients
        mine = None
        for n in range(REQUESTS):
            step = n % 6
            if step == 0 or mine is None:
                answer = api("POST", "partner", {"name": f"Load {threading.get_ident()} {n}"})
                mine = answer.json.get("id") if answer.status_code == 201 else mine
            elif step == 1:
                answer = api("PATCH", f"partner/{mine}", {"phone": str(n)})
            elif step == 2:
                answer = api("GET", "partner?limit=5")
            elif step == 3:
                answer = page.get("/touch/1")
            elif step == 4:
                answer = page.post("/contacts/partners/new", data={"name": f"Page {n}"})
            else:
                answer = page.get("/contacts/partners")
            with guard:
                statuses[(step, answer.status_code)] += 1

    together(*[(prepare, hammer) for _ in range(THREADS)], timeout=300)
    failed = {key: n for key, n in statuses.items() if key[1] >= 500}
    assert not failed, statuses
    assert sum(statuses.values()) == THREADS * REQUESTS
    with app.app_context():
        made = db.session.execute(sa.select(sa.func.count(Partner.id))).scalar()
        assert made == 1 + sum(n for (step, code), n in statuses.items()
                               if code in (201, 302) and step in (0, 4))
        db.session.remove()
        db.engine.dispose()


def test_a_request_that_cannot_get_the_lock_answers_503_not_500(tmp_path):
    """A writer that waited the whole busy timeout, because another connection held the
    write lock all along, is told to try again: JSON with Retry-After for the API, a page
    for people."""
    app = _app(tmp_path)
    token = token_for(app, "admin")
    page = login(app.test_client())

    def short_wait(dbapi_conn, _record):  # after core's own settings: a 0.2 s wait
        dbapi_conn.execute("PRAGMA busy_timeout=200")

    with app.app_context():
        engine = db.engine
        engine.dispose()  # the connections below are new ones, with the shorter wait
    event.listen(engine, "connect", short_wait)
    blocker = sqlite3.connect(tmp_path / "load.sqlite3", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # holds the write lock throughout
    try:
        answers = [Api(app.test_client(), token)("POST", "partner", {"name": "Late"}),
                   page.post("/contacts/partners/new", data={"name": "Late"}),
                   page.get("/touch/1")]
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        event.remove(engine, "connect", short_wait)
    assert [a.status_code for a in answers] == [503, 503, 503]
    assert all(a.headers.get("Retry-After") for a in answers)
    assert answers[0].json["error"]["code"] == "busy"
    assert "busy" in answers[1].text and "busy" in answers[2].text
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Partner.id)).where(
            Partner.name == "Late")).scalar() == 0
        db.session.remove()
        db.engine.dispose()


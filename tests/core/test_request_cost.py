"""What one request costs the database (issue 16): an API list or record read is at most
four statements (the transaction's BEGIN, the counters, the token with its user and groups,
the page with its total), whatever the page's size; settings and the enabled set are
cached per process until their counter moves; the list's total is counted up to a cap."""
from __future__ import annotations

import contextlib

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from core.db import db
from core.partners.models import Partner

from ..conftest import login, make_app
from .test_api import Api, token_for


@contextlib.contextmanager
def statements(app):
    """The SQL statements run inside the block, as a list filled as they run."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split())[:120])

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def partners(app, count: int) -> None:
    with app.app_context():
        db.session.execute(sa.delete(Partner))
        db.session.add_all(Partner(name=f"P{i:04d}") for i in range(count))
        db.session.commit()


@pytest.mark.parametrize("rows", [3, 60])
def test_an_api_read_is_four_statements_and_writes_nothing(app, rows):
    partners(app, rows)
    api = Api(app.test_client(), token_for(app, "admin"))
    api("GET", "partner")  # the token's use is noted at most once a minute: not here
    with app.app_context():
        first = db.session.execute(sa.select(Partner.id).order_by(Partner.id)).scalar()
    for path in ("partner?limit=50", f"partner/{first}"):
        with statements(app) as seen:
            assert api("GET", path).status_code == 200
        assert len(seen) <= 4, seen
        assert not [s for s in seen if s.split()[0] in ("INSERT", "UPDATE", "DELETE")], seen


def test_a_page_costs_no_settings_query_until_a_setting_changes(db_url):
    from core.settings import get_setting, set_setting

    from ..conftest import init_db

    first, other = make_app(db_url), make_app(db_url)  # two processes, one database
    init_db(first)
    client = login(first.test_client())
    client.get("/")
    with statements(first) as seen:
        client.get("/")
    assert not [s for s in seen if "core_setting" in s], seen
    with other.app_context():
        set_setting("company_name", "Hoa Sen Trading")  # another process's admin
        db.session.commit()
    with statements(first) as seen:
        client.get("/")
    assert [s for s in seen if "core_setting" in s]  # the counter moved: read again
    with first.test_request_context():
        assert get_setting("company_name") == "Hoa Sen Trading"


def test_a_group_taken_away_counts_on_the_next_request(app):
    from core.auth.models import User

    from .test_api import Api

    api = Api(app.test_client(), token_for(app, "clerk"))
    assert api("GET", "partner").status_code == 200
    with app.app_context():
        clerk = db.session.execute(sa.select(User).where(User.login == "clerk")).scalar_one()
        clerk.set_groups(set())
        db.session.commit()
    assert api("GET", "partner").status_code == 403


def test_the_total_is_exact_up_to_the_cap_and_says_so_beyond(app, monkeypatch):
    monkeypatch.setattr("core.api.views.TOTAL_CAP", 5)
    partners(app, 7)
    api = Api(app.test_client(), token_for(app, "admin"))
    page = api("GET", "partner?limit=2").json
    assert (len(page["items"]), page["total"], page["total_exact"]) == (2, 5, False)
    page = api("GET", "partner?limit=2&exact_total=true").json
    assert (page["total"], page["total_exact"]) == (7, True)
    few = api("GET", "partner?name=P0003").json
    assert (few["total"], few["total_exact"]) == (1, True)
    assert api("GET", "partner?name=nobody").json["total"] == 0
    past = api("GET", "partner?offset=50&exact_total=yes").json
    assert (past["items"], past["total"], past["total_exact"]) == ([], 7, True)
    refused = api("GET", "partner?exact_total=maybe")
    assert refused.status_code == 400 and "exact_total" in refused.json["error"]["details"]

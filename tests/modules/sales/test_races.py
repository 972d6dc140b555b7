"""Sales transitions under racing requests: a quotation confirmed (or cancelled) from several
requests at once moves once, a deal marked won and lost at once ends one way, and the
nightly job that takes idle leads back does not take one its owner has just worked on.
See tests/races.py for how the requests are made to overlap."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.db import db, utcnow
from core.timeline import TimelineEntry
from modules.sales import services
from modules.sales.models import Lead, Order

from ...core.test_api import Api, token_for
from ...races import Hold, locking, needs_postgres, together
from .conftest import acting, lead, opportunity, order, partner

pytestmark = pytest.mark.postgres
RACERS = 8


def _actions(model, record_id) -> list[str]:
    return db.session.execute(sa.select(TimelineEntry.body).where(
        TimelineEntry.model == model, TimelineEntry.record_id == record_id,
        TimelineEntry.kind == "action").order_by(TimelineEntry.id)).scalars().all()


def _api(app, login_name):
    token = token_for(app, login_name)
    return lambda: Api(app.test_client(), token)


@pytest.mark.parametrize("action", ["confirm", "cancel"])
def test_a_quotation_moved_from_several_requests_at_once_moves_once(sales, db_url, action):
    with acting(sales):
        made = order(partner().id, user_id=sales.ids["sam"]).id
        db.session.commit()
    api = _api(sales, "mia")
    with Hold(db_url, locking("sale_order")).on(sales) as hold:
        answers = together(*[(api, lambda c: c("POST", f"sale.order/{made}/{action}"))
                             for _ in range(RACERS)])
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [409] * (RACERS - 1), [a.json for a in answers]
    assert {a.json["error"]["code"] for a in answers if a.status_code == 409} == {
        "invalid_state"}
    assert hold.overlapped or "postgresql" not in db_url
    with sales.app_context():
        assert db.session.get(Order, made).state == {"confirm": "confirmed",
                                                     "cancel": "cancelled"}[action]
        assert _actions("sale.order", made) == [action]


def test_a_deal_marked_won_and_lost_at_once_ends_one_way(sales, db_url):
    with acting(sales):
        deal = opportunity(user_id=sales.ids["sam"]).id
        db.session.commit()
        reason = db.session.execute(sa.text("SELECT min(id) FROM sale_lost_reason")).scalar()
    api = _api(sales, "mia")
    inputs = {"won": None, "lost": {"lost_reason_id": reason}}
    calls = [(api, lambda c, a=a: c("POST", f"sale.lead/{deal}/{a}", inputs[a]))
             for a in ("won", "lost") * (RACERS // 2)]
    answers = together(*calls)
    assert sorted(a.status_code for a in answers) == [200] + [409] * (RACERS - 1)
    winner = next(a.json for a in answers if a.status_code == 200)
    with sales.app_context():
        assert db.session.get(Lead, deal).outcome == winner["outcome"]
        assert _actions("sale.lead", deal) == [
            {"won": "won", "lost": "lost"}[winner["outcome"]]]


def test_claiming_a_pooled_lead_from_several_requests_gives_it_to_one(sales, db_url):
    with acting(sales):
        pooled = lead("Walk-in").id
        db.session.commit()
    people = ["sam", "tom"] * (RACERS // 2)
    calls = [(_api(sales, who), lambda c: c("POST", f"sale.lead/{pooled}/claim"))
             for who in people]
    answers = together(*calls)
    assert [a.status_code for a in answers].count(200) == 1
    with sales.app_context():
        holder = db.session.get(Lead, pooled).user_id
        assert holder == next(a.json["user_id"] for a in answers if a.status_code == 200)
    for who, answer in zip(people, answers, strict=True):
        if answer.status_code != 200:  # the holder's other tries are refused; the other
            # salesperson no longer sees the lead at all (another's lead is out of reach)
            assert (answer.status_code, answer.json["error"]["code"]) == (
                (409, "already_claimed") if sales.ids[who] == holder else (404, "not_found"))


def test_the_idle_lead_job_keeps_a_lead_touched_while_it_runs(sales, db_url):
    """The job finds the idle leads, then takes them back. A salesperson who works on one
    in between (here: between the job's two statements) keeps it: the job's update checks
    again that the lead is idle."""
    needs_postgres(db_url)
    long_ago = utcnow() - timedelta(days=30)
    with acting(sales):
        idle = lead("Idle", user_id=sales.ids["sam"], last_touched_at=long_ago).id
        touched = lead("Called just now", user_id=sales.ids["sam"],
                       last_touched_at=long_ago).id
        db.session.commit()
        engine = db.engine
    other = sa.create_engine(db_url)
    fired = []

    def between(conn, _cursor, statement, *_args):
        if fired or "sale_lead" not in statement or not statement.lstrip().startswith(
                "SELECT"):
            return
        fired.append(True)
        with other.begin() as c:  # the owner's work, committed while the job runs
            c.execute(sa.update(Lead.__table__).where(Lead.__table__.c.id == touched)
                      .values(last_touched_at=utcnow()))

    sa.event.listen(engine, "after_cursor_execute", between)
    try:
        with acting(sales):
            assert services.reclaim_idle_leads() == "1 leads back in the pool"
            db.session.commit()
    finally:
        sa.event.remove(engine, "after_cursor_execute", between)
        other.dispose()
    assert fired
    with sales.app_context():
        holders = dict(db.session.execute(sa.select(Lead.id, Lead.user_id)).all())
        assert holders == {idle: None, touched: sales.ids["sam"]}

"""Issue 15, the pipeline board and the Sales side menu: the side menu stays on every view of
the pipeline and on the configuration lists, with one entry lit."""
from __future__ import annotations

import re

import pytest


@pytest.mark.parametrize("path,lit", [
    ("/sales/opportunities/board", "sales.pipeline"),
    ("/sales/opportunities", "sales.pipeline"),
    ("/sales/opportunities/calendar", "sales.pipeline"),
    ("/sales/opportunities/report", "sales.pipeline"),
    ("/sales/leads", "sales.leads"),
    ("/sales/stages", "sales.config"),
    ("/sales/sources", "sales.config"),
    ("/sales/lost_reasons", "sales.config"),
    ("/sales/settings", "sales.config"),
])
def test_the_sales_side_menu_shows_with_one_entry_lit(mia_client, path, lit):
    page = mia_client.get(path)
    assert page.status_code == 200, page.text
    side = page.text.split('class="app-sidebar"')[1].split("</aside>")[0]
    assert re.findall(r'nav-link active" href="[^"]*" data-menu="([^"]+)"', side) == [lit]


def test_stage_pickers_follow_the_stages_sequence(sales, mia_client):
    from core.db import db
    from core.ui.forms import choices_of
    from modules.sales.models import Stage

    from .conftest import acting

    with acting(sales):
        names = [s.name for s in db.session.query(Stage).filter(
            Stage.team_id.is_(None)).order_by(Stage.sequence)]
        assert names != sorted(names)  # New, Qualified, Proposal...: not alphabetical
        assert [label for _id, label in choices_of(Stage)] == names
    form = mia_client.get("/sales/opportunities/new").text
    picker = form.split('name="stage_id"')[1].split("</select>")[0]
    assert re.findall(r"<option[^>]*>([^<]+)</option>", picker)[1:] == names


# -- the board's cards, quick-create and closing drops ------------------------------------
def _deals(sales, n, **values):
    """`n` deals in New, each Sam's with a planned call, and their ids."""
    from datetime import timedelta
    from decimal import Decimal

    from core.activities.models import Activity
    from core.db import db, utcnow

    from .conftest import opportunity

    ids = []
    with acting(sales):
        for i in range(n):
            deal = opportunity(f"Deal {i}", user_id=sales.ids["sam"], priority=2,
                               expected_revenue=Decimal("1234.5"), **values)
            for days in (3, -2):  # the earlier one, overdue, is the next
                db.session.add(Activity(subject=f"Call {i}", kind="call", res_model="sale.lead",
                                        res_id=deal.id, due_at=utcnow() + timedelta(days=days),
                                        assignee_id=sales.ids["sam"]))
            ids.append(deal.id)
        db.session.commit()
    return ids


def acting(app, login_name="mia"):
    from .conftest import acting as signed_in

    return signed_in(app, login_name)


def _card(page: str, deal_id: int) -> str:
    return page.split(f'data-id="{deal_id}"')[1].split("</article>")[0]


def test_a_card_shows_revenue_owner_priority_and_next_activity(sales, sam_client):
    deal = _deals(sales, 1)[0]
    card = _card(sam_client.get("/sales/opportunities/board").text, deal)
    assert "1,234.50" in card
    assert 'class="board-initials" aria-hidden="true">S' in card  # Sam
    assert 'data-stars="2"' in card and card.count("bi-star-fill") == 2
    activity = card.split("board-activity")[1].split("</span>")[0]
    assert "text-danger overdue" in activity and "bi-telephone" in activity


def test_the_board_costs_the_same_queries_for_5_or_50_cards(sales, sam_client):
    from sqlalchemy import event

    from core.db import db

    def counted(cards):
        seen = []
        with sales.app_context():
            engine = db.engine
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            page = sam_client.get("/sales/opportunities/board").text
            assert page.count("board-activity") == cards  # each card's, in that one query
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    _deals(sales, 5)
    sam_client.get("/sales/opportunities/board")  # caches warmed
    few = counted(5)
    _deals(sales, 45)
    assert counted(20) == few  # 20: the column's first cards


def _stage_id(sales, name):
    from .conftest import stage

    with acting(sales):
        return stage(name).id


def test_quick_create_adds_a_record_in_that_column(sales, sam_client):
    import sqlalchemy as sa

    from core.db import db
    from modules.sales.models import Lead

    proposal = _stage_id(sales, "Proposal")
    page = sam_client.get(f"/sales/opportunities/board?quick={proposal}").text
    assert 'data-quick-form' in page.split(f'data-stage="{proposal}"')[1].split("</section>")[0]
    made = sam_client.post("/sales/opportunities/quick", data={
        "stage": proposal, "name": "Rooftop bar", "expected_revenue": "2,500.00"},
        headers={"X-Requested-With": "fetch"})
    assert made.status_code == 200, made.text
    assert "Rooftop bar" in made.json["card"]
    with acting(sales):
        deal = db.session.get(Lead, made.json["id"])
        assert (deal.stage_id, deal.type, deal.user_id, str(deal.expected_revenue)) == (
            proposal, "opportunity", sales.ids["sam"], "2500.00")
        assert deal.probability == 60  # entered the stage as a move does
        before = db.session.execute(sa.select(sa.func.count(Lead.id))).scalar()
    for bad in ({"stage": proposal, "name": "", "expected_revenue": "1"},
                {"stage": proposal, "name": "X", "expected_revenue": "lots"},
                {"stage": "999999", "name": "X"},
                {"stage": _stage_id(sales, "Won"), "name": "X"}):
        refused = sam_client.post("/sales/opportunities/quick", data=bad,
                                  headers={"X-Requested-With": "fetch"})
        assert refused.status_code == 422 and refused.json["fields"], (bad, refused.text)
    plain = sam_client.post("/sales/opportunities/quick",
                            data={"stage": proposal, "name": ""})
    assert plain.status_code == 422 and "is-invalid" in plain.text  # the form, shown again
    with acting(sales):
        assert db.session.execute(sa.select(sa.func.count(Lead.id))).scalar() == before


def test_a_drop_on_lost_needs_the_reason(sales, sam_client):
    import sqlalchemy as sa

    from core.db import db
    from modules.sales.models import Lead, LostReason

    deal = _deals(sales, 1)[0]
    lost, new = _stage_id(sales, "Lost"), _stage_id(sales, "New")
    board = sam_client.get("/sales/opportunities/board").text
    assert f'id="board-drop-{lost}"' in board and "lost_reason_id" in board
    fetch = {"X-Requested-With": "fetch"}
    refused = sam_client.post(f"/sales/opportunities/{deal}/move", data={"stage": lost},
                              headers=fetch)
    assert refused.status_code == 422 and "lost_reason_id" in refused.json["fields"]
    with acting(sales):
        assert (db.session.get(Lead, deal).stage_id, db.session.get(Lead, deal).outcome) == (
            new, "open")
        reason = db.session.execute(sa.select(LostReason.id)).scalars().first()
    done = sam_client.post(f"/sales/opportunities/{deal}/move",
                           data={"stage": lost, "lost_reason_id": reason}, headers=fetch)
    assert done.status_code == 200, done.text
    with acting(sales):
        found = db.session.get(Lead, deal)
        assert (found.stage_id, found.outcome, found.lost_reason_id) == (lost, "lost", reason)


@pytest.mark.postgres
def test_racing_drops_on_won_and_lost_end_one_way(sales, db_url):
    from core.db import db
    from modules.sales.models import Lead, LostReason

    from ...conftest import login
    from ...races import needs_postgres, together

    needs_postgres(db_url)
    deal = _deals(sales, 1)[0]
    won, lost = _stage_id(sales, "Won"), _stage_id(sales, "Lost")
    with acting(sales):
        reason = db.session.query(LostReason.id).first()[0]

    # signed in one after the other (logins at once race in the rate limiter's table)
    clients = [login(sales.test_client(), "sam") for _ in range(6)]

    def drop(stage):
        return lambda c: c.post(f"/sales/opportunities/{deal}/move",
                                data={"stage": stage, "lost_reason_id": reason},
                                headers={"X-Requested-With": "fetch"})

    answers = together(*[(lambda c=c: c, drop(stage))
                         for c, stage in zip(clients, (won, lost) * 3, strict=True)])
    assert sorted(a.status_code for a in answers) == [200] + [409] * 5
    winner = next(a.json for a in answers if a.status_code == 200)
    with acting(sales):
        assert db.session.get(Lead, deal).stage_id == int(winner["stage"])


def test_a_salesperson_keeps_the_sales_menu_on_pages_no_entry_of_theirs_names(sam_client):
    page = sam_client.get("/sales/stages")
    assert page.status_code == 200
    side = page.text.split('class="app-sidebar"')[1].split("</aside>")[0]
    assert 'data-menu="sales.pipeline"' in side and "nav-link active" not in side
    assert 'class="app-sidebar"' not in sam_client.get("/").text  # home: no app's menu

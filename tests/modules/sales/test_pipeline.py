"""The pipeline board: a column per stage with its count and expected revenue, and moving a
card through the stages (probability from the stage, the Won and Lost stages close it)."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from core.db import db
from modules.sales.models import Lead, LostReason

from .conftest import opportunity, stage


def column(page: str, stage_id: int) -> str:
    return page.split(f'data-stage="{stage_id}"')[1].split("</section>")[0]


def test_the_board_shows_a_column_per_stage_with_sums(sales, mia_client):
    with sales.app_context():
        opportunity("Espresso bar", expected_revenue=Decimal("1000.50"))
        opportunity("Hotel breakfast", expected_revenue=Decimal("499.50"))
        opportunity("Office coffee", "Proposal", expected_revenue=Decimal("2500"))
        opportunity("Old deal", "Lost", outcome="lost", expected_revenue=Decimal("700"))
        ids = {n: stage(n).id for n in ("New", "Qualified", "Proposal", "Won", "Lost")}
        db.session.commit()
    page = mia_client.get("/sales/opportunities/board")
    assert page.status_code == 200
    text = page.text
    labels = [text.split(f'data-stage="{i}"')[1].split('fw-semibold">')[1].split("<")[0]
              for i in ids.values()]
    assert labels == list(ids)
    new = column(text, ids["New"])
    assert "Espresso bar" in new and "Hotel breakfast" in new and "Office coffee" not in new
    assert '<span class="badge text-bg-secondary board-count">2</span>' in new
    assert "1,500" in new.split("board-total")[1].split("</span>")[0]
    assert "2,500" in column(text, ids["Proposal"]).split("board-total")[1]
    assert "<article" not in column(text, ids["Qualified"])


def test_moving_a_card_sets_its_probability_and_outcome(sales, sam_client):
    with sales.app_context():
        deal = opportunity(user_id=sales.ids["sam"], expected_revenue=900).id
        ids = {n: stage(n).id for n in ("Proposal", "Won", "Lost", "Negotiation")}
        db.session.commit()

    def move(stage_name, **given):
        response = sam_client.post(f"/sales/opportunities/{deal}/move",
                                   data={"stage": ids[stage_name], **given})
        assert response.status_code in (302, 303), response.text
        with sales.app_context():
            found = db.session.get(Lead, deal)
            return found.stage_id, found.probability, found.outcome, found.closed_at

    assert move("Proposal") == (ids["Proposal"], Decimal(60), "open", None)
    stage_id, probability, outcome, closed_at = move("Won")
    assert (stage_id, probability, outcome) == (ids["Won"], Decimal(100), "won")
    assert closed_at is not None
    assert move("Proposal")[2] == "open"  # back in an open stage: open again
    # a drop on Lost is the Lost action: it asks why (issue 15), and without a reason the
    # deal stays where it was
    assert move("Lost")[:3] == (ids["Proposal"], Decimal(60), "open")
    with sales.app_context():
        reason = db.session.execute(sa.select(LostReason.id)).scalars().first()
    stage_id, probability, outcome, closed_at = move("Lost", lost_reason_id=reason)
    assert (stage_id, probability, outcome) == (ids["Lost"], Decimal(0), "lost")
    assert move("Negotiation") == (ids["Negotiation"], Decimal(80), "open", None)


def test_a_move_to_an_unknown_stage_changes_nothing(sales, sam_client):
    with sales.app_context():
        deal = opportunity(user_id=sales.ids["sam"]).id
        new = stage("New").id
        db.session.commit()
    refused = sam_client.post(f"/sales/opportunities/{deal}/move", data={"stage": "999999"},
                              headers={"X-Requested-With": "fetch"})
    assert refused.status_code == 422
    with sales.app_context():
        assert db.session.get(Lead, deal).stage_id == new

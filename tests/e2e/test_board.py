"""The pipeline board at 1366 px (issue 15): its six stages in view without a sideways
scroll, a card dropped on Lost asks the reason (cancelling leaves it), and a column's "+" adds
a deal in that column without leaving the page."""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from core.db import db
from core.modules import get_registry, lifecycle

from ..conftest import add_user
from .conftest import screenshot, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def pipeline(live_app):
    from modules.sales import services
    from modules.sales.models import Lead

    with live_app.app_context():
        lifecycle.enable(get_registry(), ["sales"])
        sam = add_user("sam", {"sales.user"})
        db.session.flush()
        stages = services.stages_for(None)
        for i, stage in enumerate(stages * 2):
            db.session.add(Lead(name=f"Deal {i} with a long name", type="opportunity",
                                status="converted", stage_id=stage.id, user_id=sam.id,
                                priority=i % 4, expected_revenue=Decimal(1000 * (i + 1)),
                                outcome="won" if stage.is_won else
                                "lost" if stage.is_lost else "open"))
        db.session.commit()
        live_app.stages = {s.name: s.id for s in stages}
    return live_app


def test_the_board_fits_and_a_drop_on_lost_asks_why(page, pipeline):
    from modules.sales.models import Lead

    sign_in(page, "sam", "sam")
    page.goto(page.base_url + "/sales/opportunities/board")
    board = page.locator(".board")
    assert board.evaluate("b => b.scrollWidth <= b.clientWidth")  # no sideways scroll
    for stage_id in pipeline.stages.values():  # all six in view
        box = page.locator(f'.board-column[data-stage="{stage_id}"]').bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 1366, stage_id
    lost = f'.board-column[data-stage="{pipeline.stages["Lost"]}"]'
    card = page.locator(".board-card", has_text="Deal 0 ")
    card.drag_to(page.locator(lost))
    dialog = page.locator(f'#board-drop-{pipeline.stages["Lost"]}')
    expect(dialog).to_be_visible()
    dialog.locator("[data-drop-cancel]").click()  # cancelled: the card stays
    expect(dialog).to_be_hidden()
    expect(page.locator(f'.board-column[data-stage="{pipeline.stages["New"]}"]')
           ).to_contain_text("Deal 0 ")
    card.drag_to(page.locator(lost))
    dialog.locator("select[name=lost_reason_id]").select_option(index=1)
    screenshot(page, "pipeline-lost-reason")
    dialog.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    expect(page.locator(".board-card", has_text="Deal 0 ")).to_have_count(0)
    with pipeline.app_context():
        deal = db.session.execute(sa.select(Lead).where(Lead.name.like("Deal 0 %"))).scalar_one()
        assert (deal.stage_id, deal.outcome) == (pipeline.stages["Lost"], "lost")
        assert deal.lost_reason_id is not None


def test_a_column_adds_a_deal_in_place(page, pipeline):
    from modules.sales.models import Lead

    sign_in(page, "sam", "sam")
    page.goto(page.base_url + "/sales/opportunities/board")
    proposal = f'.board-column[data-stage="{pipeline.stages["Proposal"]}"]'
    page.locator(f"{proposal} .board-quick-open").click()
    form = page.locator(f"{proposal} [data-quick-form]")
    form.locator("input[name=name]").fill("Rooftop bar")
    form.locator("input[name=expected_revenue]").fill("2,500")
    form.locator("button[type=submit]").click()
    expect(page.locator(f"{proposal} .board-card", has_text="Rooftop bar")).to_be_visible()
    expect(form).to_have_count(0)
    screenshot(page, "pipeline-board")
    with pipeline.app_context():
        deal = db.session.execute(sa.select(Lead).where(Lead.name == "Rooftop bar")).scalar_one()
        assert deal.stage_id == pipeline.stages["Proposal"]

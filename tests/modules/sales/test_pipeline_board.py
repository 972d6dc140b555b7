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

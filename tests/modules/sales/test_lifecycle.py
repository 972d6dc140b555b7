"""Disabling sales hides its pages, API models, menus, widgets and the partner panel and
keeps its data; enabling it again brings it all back without duplicating the defaults."""
from __future__ import annotations

import sqlalchemy as sa

from core.db import db
from core.modules import get_registry, lifecycle
from modules.sales.models import Lead, Order, Stage

from ...core.test_api import Api, token_for
from .conftest import count, lead, order, partner


def test_disable_hides_everything_and_enable_brings_it_back(sales, mia_client):
    with sales.app_context():
        customer = partner().id
        made = order(customer, user_id=sales.ids["mia"])
        made_id, made_name = made.id, made.name
        lead("Kept while disabled")
        db.session.commit()
    api = Api(sales.test_client(), token_for(sales, "mia"))
    pages = ("/sales/leads", "/sales/pool", f"/sales/orders/{made_id}",
             "/sales/opportunities/board", "/sales/forecast", "/sales/settings")

    def visible():
        shown = {path: mia_client.get(path).status_code for path in pages}
        shown["api"] = api("GET", "sale.order").status_code
        shown["api product"] = api("GET", "product").status_code
        shown["panel"] = "partner-sales" in mia_client.get(f"/contacts/partners/{customer}").text
        home = mia_client.get("/").text
        shown["menu"] = "/sales/pool" in home
        shown["widget"] = "widget-won" in home
        return shown

    assert set(visible().values()) == {200, True}
    with sales.app_context():
        lifecycle.disable(get_registry(), ["sales"])
    assert set(visible().values()) == {404, False}
    assert api("POST", f"sale.order/{made_id}/confirm").status_code == 404
    assert "sale.order" not in api("GET", "openapi.json").text
    with sales.app_context():  # the data stays
        assert count(Order) == 1 and count(Lead) == 1
        stages = count(Stage)
        lifecycle.enable(get_registry(), ["sales"])
        assert count(Stage) == stages == 6  # the defaults go only into empty tables
    assert set(visible().values()) == {200, True}
    assert made_name in mia_client.get(f"/contacts/partners/{customer}").text
    assert api("GET", "sale.lead").json["items"][0]["name"] == "Kept while disabled"


def test_the_defaults_are_there_after_enabling(sales):
    with sales.app_context():
        names = db.session.execute(sa.select(Stage.name).order_by(Stage.sequence)
                                   ).scalars().all()
        assert names == ["New", "Qualified", "Proposal", "Negotiation", "Won", "Lost"]
        won, lost = (db.session.execute(sa.select(Stage).where(Stage.name == n)).scalar_one()
                     for n in ("Won", "Lost"))
        assert (won.is_won, won.probability, lost.is_lost, lost.probability) == (
            True, 100, True, 0)
        assert count(sa.table("sale_source")) == 6
        assert count(sa.table("sale_lost_reason")) == 5

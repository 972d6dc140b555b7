"""Who sees what: a salesperson their own leads and the pool's and their own orders, in the
pages, the lists and the API alike; a sales manager everything; other users nothing."""
from __future__ import annotations

import re

from core.db import db

from ...conftest import login
from ...core.test_api import Api, token_for
from .conftest import lead, order, partner


def test_a_salesperson_sees_their_own_and_the_pools_leads(sales, sam_client, mia_client):
    with sales.app_context():
        ids = {"mine": lead("Sam's lead", user_id=sales.ids["sam"]).id,
               "pool": lead("Pool lead").id,
               "toms": lead("Tom's lead", user_id=sales.ids["tom"]).id}
        db.session.commit()
    assert sam_client.get(f"/sales/leads/{ids['mine']}").status_code == 200
    assert sam_client.get(f"/sales/leads/{ids['pool']}").status_code == 200
    assert sam_client.get(f"/sales/leads/{ids['toms']}").status_code == 404
    assert sam_client.post(f"/sales/leads/{ids['toms']}/won").status_code == 404
    listing = sam_client.get("/sales/leads").text
    assert "Sam&#39;s lead" in listing and "Pool lead" in listing
    assert "Tom&#39;s lead" not in listing
    sam = Api(sales.test_client(), token_for(sales, "sam"))
    assert sorted(item["name"] for item in sam("GET", "sale.lead").json["items"]) == [
        "Pool lead", "Sam's lead"]
    assert sam("GET", f"sale.lead/{ids['toms']}").status_code == 404
    assert sam("PATCH", f"sale.lead/{ids['toms']}", {"name": "Mine now"}).status_code == 404
    # the manager sees all three
    assert mia_client.get(f"/sales/leads/{ids['toms']}").status_code == 200
    assert "Tom&#39;s lead" in mia_client.get("/sales/leads").text
    mia = Api(sales.test_client(), token_for(sales, "mia"))
    assert mia("GET", "sale.lead").json["total"] == 3


def test_a_salesperson_sees_only_their_own_orders(sales, sam_client, mia_client):
    with sales.app_context():
        customer = partner().id
        mine = order(customer, user_id=sales.ids["sam"]).id
        toms = order(customer, user_id=sales.ids["tom"])
        toms_id, toms_name = toms.id, toms.name
        db.session.commit()
    listing = sam_client.get("/sales/orders").text
    assert f"/sales/orders/{mine}" in listing and toms_name not in listing
    assert sam_client.get(f"/sales/orders/{toms_id}").status_code == 404
    assert sam_client.get(f"/sales/orders/{toms_id}/print").status_code == 404
    assert sam_client.post(f"/sales/orders/{toms_id}/confirm").status_code == 404
    sam = Api(sales.test_client(), token_for(sales, "sam"))
    assert [o["id"] for o in sam("GET", "sale.order").json["items"]] == [mine]
    assert sam("POST", f"sale.order/{toms_id}/confirm").status_code == 404
    assert toms_name in mia_client.get("/sales/orders").text
    assert mia_client.get(f"/sales/orders/{toms_id}").status_code == 200
    # a picker's search goes through the same rules
    searched = sam_client.get("/lookup/sale.order?q=SO").get_json()["items"]
    assert [id_ for id_, _name in searched] == [mine]
    assert len(mia_client.get("/lookup/sale.order?q=SO").get_json()["items"]) == 2
    clerk = login(sales.test_client(), "clerk")
    assert clerk.get("/lookup/sale.order?q=SO").status_code == 404


def test_other_users_may_not_open_sales(sales, clerk_client):
    for path in ("/sales/leads", "/sales/pool", "/sales/orders", "/sales/forecast",
                 "/sales/opportunities/board"):
        assert clerk_client.get(path).status_code == 403, path
    clerk = Api(sales.test_client(), token_for(sales, "clerk"))
    assert clerk("GET", "sale.lead").status_code == 403
    assert clerk("GET", "sale.order").status_code == 403


def test_manager_pages_are_closed_to_salespeople(sales, sam_client, mia_client):
    for path in ("/sales/price-analysis", "/sales/settings"):
        assert sam_client.get(path).status_code == 403, path
        assert mia_client.get(path).status_code == 200, path


def test_a_salesperson_cannot_create_a_quotation_for_someone_else(sales):
    with sales.app_context():
        customer = partner().id
        db.session.commit()
    sam = Api(sales.test_client(), token_for(sales, "sam"))
    made = sam("POST", "sale.order", {"partner_id": customer, "user_id": sales.ids["tom"],
                                      "lines": [{"description": "x", "quantity": "1"}]})
    assert made.status_code == 403
    mia = Api(sales.test_client(), token_for(sales, "mia"))
    assert mia("GET", "sale.order").json["total"] == 0


def test_a_salesperson_cannot_give_a_lead_away_in_the_form(sales, sam_client, mia_client):
    from modules.sales.models import Lead

    with sales.app_context():
        waiting = lead("Waiting").id
        db.session.commit()
    form = {"name": "Waiting", "status": "new", "priority": "0", "expected_revenue": "0",
            "user_id": sales.ids["tom"]}
    refused = sam_client.post(f"/sales/leads/{waiting}", data=form)
    assert refused.status_code == 422 and "Only a sales manager" in refused.text
    with sales.app_context():
        assert db.session.get(Lead, waiting).user_id is None
    assert mia_client.post(f"/sales/leads/{waiting}", data=form).status_code == 302
    with sales.app_context():
        assert db.session.get(Lead, waiting).user_id == sales.ids["tom"]


def test_a_manager_has_the_menus_of_the_groups_manager_implies(sales, mia_client):
    """Mia is only in sales.manager, which implies sales.user: the salespeople's menus
    (granted to sales.user) are hers too, with the managers' own."""
    page = mia_client.get("/sales/orders").text
    for menu in ("sales.pool", "sales.quotations", "sales.analysis"):
        assert f'data-menu="{menu}"' in page, menu


def test_an_orders_salesperson_and_team_need_the_assign_right(sales, sam_client):
    """Issue 14: writing an order's owner fields needs sales.assign, the same whether the
    order is created or changed, by the API or a page; sending them back unchanged is
    not a change."""
    from core.auth.models import Team
    from modules.sales.models import Lead, Order

    with sales.app_context():
        customer = partner().id
        mine = order(customer, user_id=sales.ids["sam"]).id
        other_team = Team(name="Export")
        db.session.add(other_team)
        db.session.flush()
        team_id = other_team.id
        held = lead("Sam's lead", user_id=sales.ids["sam"]).id
        db.session.commit()
    sam = Api(sales.test_client(), token_for(sales, "sam"))
    for change in ({"user_id": sales.ids["tom"]}, {"team_id": team_id}):
        refused = sam("PATCH", f"sale.order/{mine}", change)
        assert refused.status_code == 403, (change, refused.json)
        assert refused.json["error"]["code"] == "forbidden"
        assert list(refused.json["error"]["details"]) == list(change)
    made = sam("POST", "sale.order", {"partner_id": customer, "user_id": sales.ids["tom"]})
    assert made.status_code == 403 and "user_id" in made.json["error"]["details"]
    kept = sam("PATCH", f"sale.order/{mine}", {"user_id": sales.ids["sam"], "note": "Call"})
    assert kept.status_code == 200 and kept.json["note"] == "Call"
    assert sam("PATCH", f"sale.lead/{held}", {"team_id": team_id}).status_code == 403
    page = sam_client.get(f"/sales/leads/{held}").text
    assert "disabled" in re.search(r'<select[^>]*\bid="team_id"[^>]*>', page).group(0)
    mia = Api(sales.test_client(), token_for(sales, "mia"))
    assert mia("PATCH", f"sale.order/{mine}", {"user_id": sales.ids["tom"],
                                                "team_id": team_id}).status_code == 200
    assert mia("PATCH", f"sale.lead/{held}", {"team_id": team_id}).status_code == 200
    with sales.app_context():
        stored = db.session.get(Order, mine)
        assert (stored.user_id, stored.team_id) == (sales.ids["tom"], team_id)
        assert db.session.get(Lead, held).team_id == team_id

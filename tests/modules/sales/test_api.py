"""The sales API: orders with nested lines (numbered, priced and totalled like the pages,
refused whole when a line is bad), their actions, leads routed on creation and their
actions, product filters, and a list of orders in a fixed number of queries."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from core.db import db
from modules.sales.models import Lead, Order, OrderLine

from ...core.test_api import Api, token_for
from .conftest import count, lead, partner, product, stage

YEAR = date.today().year


@pytest.fixture
def api(sales):
    return Api(sales.test_client(), token_for(sales, "sam"))


@pytest.fixture
def known(sales):
    """A customer and two products; their ids."""
    with sales.app_context():
        ids = {"customer": partner().id,
               "beans": product("Coffee beans", "19.99", tax="8", code="BEAN",
                                category="Coffee").id,
               "tea": product("Green tea", "8.00", category="Tea").id,
               "old": product("Old blend", "5.00", category="Coffee", active=False).id}
        db.session.commit()
    return ids


def quotation(known, **line):
    return {"partner_id": known["customer"], "lines": [
        {"product_id": known["beans"], "quantity": "3", "price_unit": "19.99",
         "discount": "10"} | line]}


def test_create_a_quotation_with_lines(sales, api, known):
    made = api("POST", "sale.order", quotation(known))
    assert made.status_code == 201, made.json
    body = made.json
    assert body["name"] == f"SO{YEAR}-00001" and body["state"] == "draft"
    assert body["user_id"] == sales.ids["sam"]
    assert (body["amount_untaxed"], body["amount_tax"], body["amount_total"]) == (
        "53.97", "4.32", "58.29")
    [line] = body["lines"]
    assert {k: line[k] for k in ("product_id", "description", "quantity", "price_unit",
                                 "discount", "tax_rate", "amount_untaxed", "amount_tax")} == {
        "product_id": known["beans"], "description": "Coffee beans", "quantity": "3.000",
        "price_unit": "19.99", "discount": "10.00", "tax_rate": "8.00",
        "amount_untaxed": "53.97", "amount_tax": "4.32"}
    assert api("GET", f"sale.order/{body['id']}").json["lines"] == body["lines"]
    assert api("POST", "sale.order", quotation(known)).json["name"] == f"SO{YEAR}-00002"


@pytest.mark.parametrize("line, field", [
    ({"colour": "red"}, "lines"),
    ({"quantity": "x"}, "lines"),
    ({"product_id": 999999}, None),
    ({"quantity": "0"}, None),
    ({"discount": "150"}, None),
], ids=["unknown-key", "bad-quantity", "unknown-product", "zero-quantity", "discount"])
def test_a_bad_line_is_a_422_and_nothing_is_created(sales, api, known, line, field):
    refused = api("POST", "sale.order", quotation(known, **line))
    assert refused.status_code == 422, refused.json
    assert refused.json["error"]["code"] == "invalid"
    if field:
        assert field in refused.json["error"]["details"]
    with sales.app_context():
        assert count(Order) == count(OrderLine) == 0
    # and the number was not used
    assert api("POST", "sale.order", quotation(known)).json["name"] == f"SO{YEAR}-00001"


def test_a_quotation_needs_a_customer(sales, api, known):
    refused = api("POST", "sale.order", {"lines": []})
    assert refused.status_code == 422
    assert "partner_id" in refused.json["error"]["details"]
    assert api("POST", "sale.order", {"partner_id": 999999}).status_code == 422


def test_patching_lines_replaces_them_and_recomputes(sales, api, known):
    made = api("POST", "sale.order", quotation(known)).json
    changed = api("PATCH", f"sale.order/{made['id']}", {"lines": [
        {"product_id": known["tea"], "quantity": "2"},
        {"description": "Delivery", "price_unit": "5"}]})
    assert changed.status_code == 200, changed.json
    body = changed.json
    assert [(line["description"], line["amount_untaxed"]) for line in body["lines"]] == [
        ("Green tea", "16.00"), ("Delivery", "5.00")]
    assert (body["amount_untaxed"], body["amount_total"]) == ("21.00", "21.00")
    with sales.app_context():
        assert count(OrderLine) == 2
    # changing something else keeps the lines
    noted = api("PATCH", f"sale.order/{made['id']}", {"note": "Deliver on Monday"}).json
    assert len(noted["lines"]) == 2 and noted["amount_total"] == "21.00"


def test_a_confirmed_order_cannot_be_patched(sales, api, known):
    made = api("POST", "sale.order", quotation(known)).json
    confirmed = api("POST", f"sale.order/{made['id']}/confirm")
    assert confirmed.status_code == 200 and confirmed.json["state"] == "confirmed"
    assert confirmed.json["confirmed_at"]
    for body in ({"lines": []}, {"note": "too late"}):
        refused = api("PATCH", f"sale.order/{made['id']}", body)
        assert refused.status_code == 409, refused.json
        assert refused.json["error"]["code"] == "invalid_state"
    again = api("GET", f"sale.order/{made['id']}").json
    assert len(again["lines"]) == 1 and again["note"] is None


def test_order_actions_and_their_refusals(sales, api, known):
    made = api("POST", "sale.order", quotation(known)).json
    assert api("POST", f"sale.order/{made['id']}/send").json["state"] == "sent"
    assert api("POST", f"sale.order/{made['id']}/cancel").json["state"] == "cancelled"
    again = api("POST", f"sale.order/{made['id']}/cancel")
    assert again.status_code == 409 and again.json["error"]["code"] == "invalid_state"
    assert api("POST", f"sale.order/{made['id']}/confirm").status_code == 409
    empty = api("POST", "sale.order", {"partner_id": known["customer"]}).json
    refused = api("POST", f"sale.order/{empty['id']}/confirm")
    assert refused.status_code == 422 and refused.json["error"]["code"] == "invalid"
    assert api("GET", f"sale.order/{empty['id']}").json["state"] == "draft"
    assert api("POST", f"sale.order/{made['id']}/explode").status_code == 404


def test_a_new_lead_is_routed_or_kept_by_its_author(sales, api):
    from modules.sales.models import AssignmentRule

    with sales.app_context():
        db.session.add(AssignmentRule(country="VN", user_id=sales.ids["tom"]))
        db.session.commit()
    # from a manager's (or an integration's) token: the assignment rules route it
    mia = Api(sales.test_client(), token_for(sales, "mia"))
    routed = mia("POST", "sale.lead", {"name": "From the website", "country": "VN"})
    assert routed.status_code == 201, routed.json
    assert routed.json["user_id"] == sales.ids["tom"]
    pooled = mia("POST", "sale.lead", {"name": "Walk-in", "country": "FR"})
    assert pooled.status_code == 201 and pooled.json["user_id"] is None
    kept = mia("POST", "sale.lead", {"name": "Mine", "country": "VN",
                                     "user_id": sales.ids["mia"]})
    assert kept.json["user_id"] == sales.ids["mia"]
    # a salesperson's own lead is theirs, whatever the rules say
    own = api("POST", "sale.lead", {"name": "Met at the fair", "country": "VN"})
    assert own.status_code == 201 and own.json["user_id"] == sales.ids["sam"]
    deal = mia("POST", "sale.lead", {"name": "Deal", "type": "opportunity"}).json
    with sales.app_context():
        assert deal["stage_id"] == stage("New").id


def test_lead_actions(sales, api):
    with sales.app_context():
        waiting = lead("Coffee machines", company_name="Saigon Coffee").id
        taken = lead("Tom's", user_id=sales.ids["tom"]).id
        db.session.commit()
    claimed = api("POST", f"sale.lead/{waiting}/claim")
    assert claimed.status_code == 200 and claimed.json["user_id"] == sales.ids["sam"]
    tom = Api(sales.test_client(), token_for(sales, "tom"))
    again = tom("POST", f"sale.lead/{waiting}/claim")
    assert again.status_code == 404  # no longer in the pool: Tom does not see it
    mia = Api(sales.test_client(), token_for(sales, "mia"))
    twice = mia("POST", f"sale.lead/{taken}/claim")
    assert twice.status_code == 409 and twice.json["error"]["code"] == "already_claimed"
    converted = api("POST", f"sale.lead/{waiting}/convert").json
    assert converted["type"] == "opportunity" and converted["partner_id"]
    assert api("POST", f"sale.lead/{waiting}/convert").status_code == 409
    assert api("POST", f"sale.lead/{waiting}/won").json["outcome"] == "won"
    assert api("POST", f"sale.lead/{waiting}/lost").status_code == 409  # reopen it first
    assert api("POST", f"sale.lead/{waiting}/reopen").json["outcome"] == "open"
    lost = api("POST", f"sale.lead/{waiting}/lost", {"lost_reason_id": "two"})
    assert lost.status_code == 422
    unexplained = api("POST", f"sale.lead/{waiting}/lost")
    assert unexplained.status_code == 422 and "lost_reason_id" in unexplained.text
    with sales.app_context():
        reason = db.session.execute(sa.text("SELECT min(id) FROM sale_lost_reason")).scalar()
    lost = api("POST", f"sale.lead/{waiting}/lost", {"lost_reason_id": reason}).json
    assert (lost["outcome"], lost["probability"], lost["lost_reason_id"]) == (
        "lost", "0.00", reason)


def test_the_pool_limit_in_the_api(sales, api):
    from core.settings import set_setting

    with sales.app_context():
        set_setting("sales.lead_limit", "1")
        lead("Held", user_id=sales.ids["sam"])
        waiting = lead("Waiting").id
        db.session.commit()
    refused = api("POST", f"sale.lead/{waiting}/claim")
    assert refused.status_code == 409 and refused.json["error"]["code"] == "limit_reached"
    with sales.app_context():
        assert db.session.get(Lead, waiting).user_id is None


def test_product_filters(sales, api, known):
    def names(query):
        response = api("GET", f"product?{query}")
        assert response.status_code == 200, response.json
        return sorted(p["name"] for p in response.json["items"])

    assert names("category=Coffee") == ["Coffee beans", "Old blend"]
    assert names("category=Coffee&active=true") == ["Coffee beans"]
    assert names("name__contains=TEA") == ["Green tea"]
    assert names("code=BEAN") == ["Coffee beans"]
    assert api("GET", "product?list_price=5").status_code == 400  # not a filter
    assert api("POST", "product", {"name": "Mine"}).status_code == 403  # read only for Sam
    beans = api("GET", f"product/{known['beans']}").json
    assert (beans["list_price"], beans["tax_rate"]) == ("19.99", "8.00")


def test_listing_orders_takes_the_same_queries_for_3_or_30(sales, known):
    from sqlalchemy import event

    mia = Api(sales.test_client(), token_for(sales, "mia"))

    def queries_for(n):
        with sales.app_context():
            db.session.execute(sa.delete(OrderLine))
            db.session.execute(sa.delete(Order))
            from modules.sales import services

            for i in range(n):
                services.create_order(known["customer"], [
                    {"product_id": known["beans"], "quantity": 1},
                    {"description": f"Extra {i}", "price_unit": 1}], user_id=sales.ids["sam"])
            db.session.commit()
            engine = db.engine
        mia("GET", "sale.order?limit=1")  # the token's last use is written (once a minute)
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            listing = mia("GET", "sale.order?limit=100")
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert listing.status_code == 200
        assert listing.json["total"] == n and all(len(o["lines"]) == 2
                                                  for o in listing.json["items"])
        return len(seen)

    assert queries_for(3) == queries_for(30)


def test_a_quantity_keeps_its_three_decimals(sales, api, known):
    made = api("POST", "sale.order", {"partner_id": known["customer"], "lines": [
        {"description": "Saffron, kg", "quantity": "0.125", "price_unit": "10.00"}]})
    assert made.status_code == 201
    [line] = made.json["lines"]
    assert (line["quantity"], line["amount_untaxed"]) == ("0.125", "1.25")


def test_amounts_too_large_to_store_are_a_422(sales, api, known):
    huge = "99999999999999"
    refused = api("POST", "sale.order", {"partner_id": known["customer"], "lines": [
        {"description": "Everything", "quantity": huge, "price_unit": huge}]})
    assert refused.status_code == 422
    with sales.app_context():
        assert count(Order) == 0


def test_writing_user_id_follows_the_claim_rules(sales, api):
    from core.settings import set_setting

    with sales.app_context():
        set_setting("sales.lead_limit", "1")
        held = lead("Held", user_id=sales.ids["sam"]).id
        waiting = lead("Waiting").id
        db.session.commit()
    # past the limit, taking a pool lead by editing it is refused like a claim
    taken = api("PATCH", f"sale.lead/{waiting}", {"user_id": sales.ids["sam"]})
    assert taken.status_code == 422, taken.json
    assert taken.json["error"]["code"] == "limit_reached"
    assert "user_id" in taken.json["error"]["details"]
    # a salesperson may not hand a lead to someone else; a manager may
    given = api("PATCH", f"sale.lead/{held}", {"user_id": sales.ids["tom"]})
    assert given.status_code == 422 and given.json["error"]["code"] == "forbidden"
    mia = Api(sales.test_client(), token_for(sales, "mia"))
    assert mia("PATCH", f"sale.lead/{held}", {"user_id": sales.ids["tom"]}).status_code == 200
    with sales.app_context():
        assert db.session.get(Lead, waiting).user_id is None
        assert db.session.get(Lead, held).user_id == sales.ids["tom"]


def test_sending_back_ones_own_user_id_is_not_a_claim(sales, api):
    from core.settings import set_setting

    with sales.app_context():
        set_setting("sales.lead_limit", "1")
        held = lead("Held", user_id=sales.ids["sam"]).id
        db.session.commit()
    record = api("GET", f"sale.lead/{held}").json
    changed = api("PATCH", f"sale.lead/{held}", {"name": "Renamed",
                                                 "user_id": record["user_id"]})
    assert changed.status_code == 200, changed.json
    assert changed.json["name"] == "Renamed"

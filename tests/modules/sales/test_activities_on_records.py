"""Activities on any record (issue 15): an opportunity's and an order's pages show an
Activities panel (planned, overdue in red, done), "Schedule an activity" prefilled with the
record and its customer, "Mark done" (twice: 409) and "Schedule the next one"; an activity
is only attached to a record one may read, from a page or the API."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from core.activities.models import Activity
from core.db import db, utcnow

from ...core.test_api import Api, token_for
from .conftest import acting, opportunity, order, partner


def make(app, **values):
    with acting(app):
        activity = Activity(**values)
        db.session.add(activity)
        db.session.commit()
        return activity.id


def deal(app, login_name="sam"):
    with acting(app):
        record = opportunity(user_id=app.ids[login_name])
        db.session.commit()
        return record.id, record.partner_id


def test_an_opportunitys_page_shows_its_activities(sales, sam_client):
    deal_id, partner_id = deal(sales)
    make(sales, subject="Late demo", res_model="sale.lead", res_id=deal_id,
         assignee_id=sales.ids["sam"], due_at=utcnow() - timedelta(days=1))
    make(sales, subject="Discovery call", res_model="sale.lead", res_id=deal_id,
         assignee_id=sales.ids["sam"], state="done", outcome="Keen")
    page = sam_client.get(f"/sales/opportunities/{deal_id}").text
    panel = page.split('class="card shadow-sm mb-3 record-activities"')[1].split("</section>")[0]
    assert page.count("record-activities") == 1 and "lead-activities" not in page  # one panel
    assert "Late demo" in panel and "activity-overdue" in panel
    assert "Discovery call" in panel.split("activities-done")[1] and "Keen" in panel
    assert (f"/activities/activities/new?res_model=sale.lead&amp;res_id={deal_id}"
            f"&amp;partner_id={partner_id}") in panel
    form = sam_client.get(f"/activities/activities/new?res_model=sale.lead&res_id={deal_id}"
                          f"&partner_id={partner_id}").text
    assert 'name="res_model" type="hidden" value="sale.lead"' in form
    assert f'name="res_id" type="hidden" value="{deal_id}"' in form


def test_an_orders_page_shows_its_activities(sales, mia_client):
    with acting(sales):
        made = order(partner("Hoa Sen").id, user_id=sales.ids["mia"])
        db.session.commit()
        order_id = made.id
    make(sales, subject="Confirm delivery", res_model="sale.order", res_id=order_id,
         assignee_id=sales.ids["mia"], due_at=utcnow() + timedelta(days=1))
    page = mia_client.get(f"/sales/orders/{order_id}").text
    assert "Confirm delivery" in page.split("record-activities")[1].split("</section>")[0]


def test_mark_done_then_schedule_the_next_one(sales, sam_client):
    deal_id, partner_id = deal(sales)
    activity = make(sales, subject="Call back", kind="meeting", res_model="sale.lead",
                    res_id=deal_id, assignee_id=sales.ids["sam"])
    done = sam_client.post(f"/activities/{activity}/done",
                           data={"outcome": "Wants a demo", "then": "next"})
    assert done.status_code == 302
    assert done.headers["Location"] == (
        f"/activities/activities/new?res_model=sale.lead&res_id={deal_id}&kind=meeting"
        f"&partner_id={partner_id}")
    with sales.app_context():
        saved = db.session.get(Activity, activity)
        assert (saved.state, saved.outcome) == ("done", "Wants a demo")
    again = sam_client.post(f"/activities/{activity}/done", data={})
    assert again.status_code == 409
    page = sam_client.get(f"/activities/activities/{activity}").text
    assert "activity-about" in page and f"/sales/opportunities/{deal_id}" in page


def test_an_activity_only_attaches_to_a_record_one_may_read(sales, sam_client):
    toms_deal, _partner = deal(sales, "tom")  # Sam's rules hide Tom's deals
    posted = sam_client.post("/activities/activities/new", data={
        "subject": "Spy", "kind": "call", "state": "planned", "res_model": "sale.lead",
        "res_id": toms_deal, "assignee_id": sales.ids["sam"]})
    assert posted.status_code == 422 and "you may not read it" in posted.text
    api, sam = Api(sales.test_client(), token_for(sales, "sam")), sales.ids["sam"]
    for about in ({"res_model": "sale.lead", "res_id": toms_deal},
                  {"res_model": "core.nothing", "res_id": 1},
                  {"res_model": "sale.lead", "res_id": 999999}):
        response = api("POST", "activity", {"subject": "Spy", "assignee_id": sam, **about})
        assert response.status_code == 422, about
    own, _ = deal(sales)
    response = api("POST", "activity", {"subject": "Fine", "res_model": "sale.lead",
                                        "res_id": own, "assignee_id": sam})
    assert response.status_code == 201, response.get_json()
    with sales.app_context():
        assert db.session.execute(sa.select(Activity.subject).where(
            Activity.subject == "Spy")).first() is None


def test_my_activities_link_the_record_each_is_about(sales, sam_client):
    deal_id, _partner = deal(sales)
    make(sales, subject="Send the price list", res_model="sale.lead", res_id=deal_id,
         assignee_id=sales.ids["sam"], due_at=utcnow() + timedelta(hours=3))
    mine = sam_client.get("/activities/mine").text
    item = mine.split("Send the price list")[1].split("</li>")[0]
    assert f'href="/sales/opportunities/{deal_id}">Espresso bar</a>' in item


def test_the_demo_has_activities_on_deals_and_orders(app):
    from core import demo
    from core.modules import get_registry, lifecycle
    from modules.sales.models import Lead

    with app.app_context():
        lifecycle.enable(get_registry(), ["sales"])
        demo.load_all(get_registry())
        about = dict(db.session.execute(sa.select(Activity.res_model, sa.func.count()).where(
            Activity.res_model.is_not(None)).group_by(Activity.res_model)).all())
        assert about.get("sale.order", 0) >= 4
        on_deals = db.session.execute(sa.select(Activity.state).join(
            Lead, Lead.id == Activity.res_id).where(
            Activity.res_model == "sale.lead", Lead.type == "opportunity")).scalars().all()
        assert "done" in on_deals and "planned" in on_deals

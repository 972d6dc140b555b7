"""What a new user hit in the web UI (issue 15): strings, timeline entries, lists."""
from __future__ import annotations

import sqlalchemy as sa

from core.auth.models import User
from core.db import db


def _vietnamese(app, login_name):
    with app.app_context():
        db.session.execute(sa.update(User).where(User.login == login_name).values(lang="vi"))
        db.session.commit()


def test_leads_list_labels_created_on(mia_client):
    page = mia_client.get("/sales/leads").text
    assert "Created at" not in page
    assert "Created on" in page


def test_required_field_message_in_vietnamese(sales, mia_client):
    _vietnamese(sales, "mia")
    page = mia_client.post("/sales/leads/new", data={"name": ""}).text
    assert "This field is required." not in page


def test_stage_list_in_vietnamese(sales, mia_client):
    _vietnamese(sales, "mia")
    page = mia_client.get("/sales/stages").text
    print(page[page.find("<table"):page.find("</table>")])
    assert ">New<" not in page


def _lead_in_pool(app, **values):
    from modules.sales.models import Lead

    with app.app_context():
        record = Lead(name="Coffee machines", **values)
        db.session.add(record)
        db.session.commit()
        return record.id


def _changes(app, lead_id):
    from core.timeline import TimelineEntry

    with app.app_context():
        return [e.changes for e in db.session.execute(
            sa.select(TimelineEntry).where(TimelineEntry.model == "sale.lead",
                                           TimelineEntry.record_id == lead_id,
                                           TimelineEntry.kind == "update")
            .order_by(TimelineEntry.id)).scalars()]


def test_claim_and_release_log_the_salesperson(sales, sam_client):
    lead_id = _lead_in_pool(sales)
    sam = sales.ids["sam"]
    response = sam_client.post(f"/sales/leads/{lead_id}/claim", follow_redirects=True)
    assert "The lead is yours." in response.text
    assert _changes(sales, lead_id)[-1]["user_id"] == [None, sam]
    response = sam_client.post(f"/sales/leads/{lead_id}/release", follow_redirects=True)
    assert "The lead is back in the pool." in response.text
    assert _changes(sales, lead_id)[-1]["user_id"] == [sam, None]
    page = sam_client.get(f"/sales/leads/{lead_id}").text
    assert "Sam → Sam" not in page


def test_mark_as_sent_says_so(sales, mia_client):
    from .conftest import acting, partner

    with acting(sales):
        from modules.sales.models import Order

        order = Order(name="SO-T-1", partner_id=partner().id)
        db.session.add(order)
        db.session.commit()
        order_id = order.id
    response = mia_client.post(f"/sales/orders/{order_id}/send", follow_redirects=True)
    assert "Saved." not in response.text
    assert "Marked as sent." in response.text

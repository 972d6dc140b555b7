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


def test_release_shows_the_salesperson_going(sales, sam_client):
    lead_id = _lead_in_pool(sales)
    sam_client.post(f"/sales/leads/{lead_id}/claim")
    sam_client.post(f"/sales/leads/{lead_id}/release")
    page = sam_client.get(f"/sales/leads/{lead_id}").text
    assert "<del>Sam</del> → Sam" not in page
    assert "<del>Sam</del> → —" in page


def test_timeline_amounts_have_their_currency_and_names_their_language(sales, mia_client):
    from modules.sales.models import Lead, LeadSource

    lead_id = _lead_in_pool(sales, user_id=sales.ids["mia"])
    with sales.app_context():
        source = db.session.execute(sa.select(LeadSource).where(
            LeadSource.name == "Website")).scalar_one()
        lead = db.session.get(Lead, lead_id)
        lead.expected_revenue, lead.source_id, lead.probability = 1234.5, source.id, 12.5
        db.session.commit()
    page = mia_client.get(f"/sales/leads/{lead_id}").text
    assert "$1,234.50" in page
    assert "12.5%" in page
    _vietnamese(sales, "mia")
    page = mia_client.get(f"/sales/leads/{lead_id}").text
    assert "Trang web" in page[page.find("timeline-entries"):]


def test_an_invoice_names_its_order(sales):
    from core.modules import get_registry, lifecycle
    from modules.billing.models import Invoice
    from modules.sales.models import Order

    from .conftest import acting, partner

    with acting(sales):
        lifecycle.enable(get_registry(), ["billing"])
        customer = partner()
        order = Order(name="SO2026-00042", partner_id=customer.id)
        db.session.add(order)
        db.session.flush()
        invoice = Invoice(partner_id=customer.id)
        db.session.add(invoice)
        db.session.flush()
        invoice.order_id = order.id
        db.session.commit()
        invoice_id = invoice.id
    from ...conftest import login

    page = login(sales.test_client()).get(f"/billing/invoices/{invoice_id}").text
    assert "SO2026-00042" in page[page.find("timeline-entries"):]


def test_a_refused_delete_names_what_uses_the_record(sales):
    from modules.sales.models import Order

    from ...conftest import login
    from .conftest import acting, partner

    with acting(sales):
        customer = partner("Hoa Sen")
        for i in range(5):
            db.session.add(Order(name=f"SO2026-0000{i + 1}", partner_id=customer.id))
        db.session.commit()
        customer_id = customer.id
    client = login(sales.test_client())
    page = client.post(f"/contacts/partners/{customer_id}/delete", follow_redirects=True).text
    assert ("Cannot delete: used by Quotations and orders: SO2026-00001, SO2026-00002, "
            "SO2026-00003 (and 2 more).") in page
    page = client.post("/contacts/partners/bulk", data={"ids": [customer_id],
                                                       "action": "delete"},
                       follow_redirects=True).text
    assert "SO2026-00001, SO2026-00002, SO2026-00003 (and 2 more)" in page


def test_payment_terms_in_the_vietnamese_timeline(sales):
    from core.modules import get_registry, lifecycle
    from modules.billing.models import Invoice, PaymentTerm

    from ...conftest import login
    from .conftest import acting, partner

    with acting(sales):
        lifecycle.enable(get_registry(), ["billing"])
        term = db.session.execute(sa.select(PaymentTerm).where(
            PaymentTerm.name == "30 days")).scalar_one()
        invoice = Invoice(partner_id=partner().id)
        db.session.add(invoice)
        db.session.flush()
        invoice.payment_term_id = term.id
        db.session.commit()
        invoice_id = invoice.id
    _vietnamese(sales, "admin")
    page = login(sales.test_client()).get(f"/billing/invoices/{invoice_id}").text
    timeline = page[page.find("timeline-entries"):]
    assert "30 days" not in timeline and "30 ngày" in timeline

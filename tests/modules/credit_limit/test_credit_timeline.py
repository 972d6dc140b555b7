"""A customer's credit limit changes show on the customer's timeline (issue 15)."""
from __future__ import annotations

from decimal import Decimal

from core.db import db

from ...conftest import login
from .conftest import acting


def test_credit_limit_changes_are_on_the_customer_timeline(credit):
    from core.partners.models import Partner
    from modules.credit_limit import services

    with acting(credit):
        partner = Partner(name="Hoa Sen", is_company=True)
        db.session.add(partner)
        db.session.flush()
        services.set_credit(partner.id, Decimal(5000), "block")
        db.session.commit()
        services.set_credit(partner.id, Decimal(7500), "block")
        db.session.commit()
        partner_id = partner.id
    page = login(credit.test_client()).get(f"/contacts/partners/{partner_id}").text
    timeline = page[page.find("timeline-entries"):]
    assert "Credit limit" in timeline
    assert "<del>$5,000.00</del> → $7,500.00" in timeline

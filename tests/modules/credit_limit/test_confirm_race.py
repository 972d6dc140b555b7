"""Fifty requests confirming one quotation at the same moment (a user's double clicks, a
script retrying): one confirms it, the others are refused because it is confirmed already,
not because of the credit it took; one timeline entry, one draft invoice."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.db import db
from core.timeline import TimelineEntry
from modules.billing.models import Invoice
from modules.sales.models import Order

from ...core.test_api import Api, token_for
from ...races import Hold, locking, together
from .conftest import acting, customer, exposure, quotation

pytestmark = pytest.mark.postgres
RACERS = 50


def test_fifty_confirmations_of_one_quotation_confirm_it_once(credit, db_url):
    with acting(credit):
        buyer = customer("Hoa Sen", limit="1000", mode="block").id
        made = quotation(buyer, "600").id  # fits once, not twice
        db.session.commit()
    token = token_for(credit, "mia")
    with Hold(db_url, locking("sale_order")).on(credit):
        answers = together(*[(lambda: Api(credit.test_client(), token),
                              lambda api: api("POST", f"sale.order/{made}/confirm"))
                             for _ in range(RACERS)], timeout=120)
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [409] * (RACERS - 1), statuses
    assert {a.json["error"]["code"] for a in answers if a.status_code == 409} == {
        "invalid_state"}  # no spurious credit refusal
    with credit.app_context():
        assert db.session.get(Order, made).state == "confirmed"
        assert exposure(buyer) == 600
        assert db.session.execute(sa.select(TimelineEntry.body).where(
            TimelineEntry.model == "sale.order", TimelineEntry.record_id == made,
            TimelineEntry.kind == "action")).scalars().all() == ["confirm"]
        assert db.session.execute(sa.select(sa.func.count(Invoice.id)).where(
            Invoice.order_id == made)).scalar() == 1

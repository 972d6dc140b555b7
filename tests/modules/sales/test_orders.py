"""Order states: quotation → sent → sales order → done, cancelling, what other modules may
say while an order is confirmed (refuse, warn), the confirmed signal, the opportunity won
with its quotation, and gapless numbers."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from core.db import db
from core.errors import Refusal, Warn
from core.timeline import TimelineEntry
from modules.sales import services
from modules.sales.models import Lead, Order

from .conftest import connected, lead, opportunity, order, partner, stage

YEAR = date.today().year


def refused(call, *args, **kwargs) -> str:
    with pytest.raises(Refusal) as caught:
        call(*args, **kwargs)
    return caught.value.code


def test_quotation_sent_confirmed_done(ctx):
    customer = partner(kind="prospect")
    made = order(customer.id)
    assert made.state == "draft"
    services.mark_sent(made)
    assert made.state == "sent"
    assert refused(services.mark_sent, made) == "invalid_state"
    assert services.confirm(made) == []
    assert made.state == "confirmed" and made.confirmed_at is not None
    assert customer.kind == "customer"  # a prospect who buys becomes a customer
    # a sales order's lines are fixed
    assert refused(services.set_lines, made, []) == "invalid_state"
    services.mark_done(made)
    assert made.state == "done"
    assert refused(services.cancel, made) == "invalid_state"
    assert refused(services.confirm, made) == "invalid_state"


def test_cancel_and_back_to_quotation(ctx):
    made = order(partner().id)
    assert refused(services.mark_done, made) == "invalid_state"
    assert refused(services.back_to_draft, made) == "invalid_state"
    services.cancel(made)
    assert made.state == "cancelled"
    assert refused(services.cancel, made) == "invalid_state"
    assert refused(services.confirm, made) == "invalid_state"
    services.back_to_draft(made)
    assert made.state == "draft"
    services.confirm(made)
    services.cancel(made)  # a sales order may still be cancelled
    assert made.state == "cancelled"


def test_confirming_without_lines_is_refused(ctx):
    made = order(partner().id, lines=[])
    assert refused(services.confirm, made) == "invalid"
    assert made.state == "draft"


def test_a_confirming_handler_can_refuse(ctx):
    made = order(partner().id)
    db.session.commit()
    seen = []

    def credit_check(sender, override=None, **kwargs):
        seen.append((sender.id, override))
        return None if override else Refusal("Credit limit exceeded")

    with connected("sale.order.confirming", credit_check):
        with pytest.raises(Refusal) as caught:
            services.confirm(made)
        assert (caught.value.code, caught.value.message) == ("refused", "Credit limit exceeded")
        assert made.state == "draft"
        db.session.rollback()
        assert db.session.get(Order, made.id).state == "draft"
        # a manager's written reason goes to the handler, which may accept it
        services.confirm(made, override="Paid in advance")
        assert made.state == "confirmed"
    assert seen == [(made.id, None), (made.id, "Paid in advance")]


def test_a_refusal_may_carry_its_own_code(ctx):
    made = order(partner().id)
    with connected("sale.order.confirming",
                   lambda sender, **kw: Refusal("Customer blocked", "blocked")):
        assert refused(services.confirm, made) == "blocked"
    assert made.state == "draft"


def test_a_warning_confirms_with_a_note_on_the_timeline(ctx):
    made = order(partner().id)
    with connected("sale.order.confirming", lambda sender, **kw: Warn("Low stock")):
        assert services.confirm(made) == [Warn("Low stock")]
    assert made.state == "confirmed"
    db.session.flush()
    notes = db.session.execute(sa.select(TimelineEntry.body).where(
        TimelineEntry.model == "sale.order", TimelineEntry.record_id == made.id,
        TimelineEntry.kind == "note")).scalars().all()
    assert notes == ["Low stock"]


def test_confirmed_is_sent_once_and_not_for_refusals(ctx):
    made = order(partner().id)
    sent = []
    with connected("sale.order.confirmed", lambda sender, **kw: sent.append(sender.id)):
        services.confirm(made)
        refused(services.confirm, made)
        with connected("sale.order.confirming", lambda sender, **kw: Refusal("No")):
            refused(services.confirm, order(partner("Other").id))
    assert sent == [made.id]


def test_cancelled_is_sent_and_cancelling_may_refuse(ctx):
    made = order(partner().id)
    with connected("sale.order.cancelling", lambda sender, **kw: Refusal("Already shipped")):
        assert refused(services.cancel, made) == "refused"
    assert made.state == "draft"
    sent = []
    with connected("sale.order.cancelled", lambda sender, **kw: sent.append(sender.id)):
        services.cancel(made)
    assert sent == [made.id]


def test_confirming_an_opportunitys_quotation_marks_it_won(ctx):
    deal = opportunity(user_id=ctx.ids["sam"], expected_revenue=5000)
    quote = services.new_order_for(deal, ctx.ids["mia"])
    assert (quote.partner_id, quote.lead_id, quote.user_id) == (
        deal.partner_id, deal.id, ctx.ids["sam"])
    services.set_lines(quote, [{"description": "Machines", "price_unit": 4800}])
    services.confirm(quote)
    db.session.flush()
    won = db.session.get(Lead, deal.id)
    assert (won.outcome, won.probability, won.stage_id) == ("won", 100, stage("Won").id)
    assert won.closed_at is not None


def test_a_lead_without_customer_cannot_be_quoted(ctx):
    early = lead(user_id=ctx.ids["sam"])
    assert refused(services.new_order_for, early, ctx.ids["sam"]) == "invalid_state"


def test_numbers_are_gapless_per_year(ctx):
    customer = partner().id
    first, second = order(customer), order(customer)
    assert (first.name, second.name) == (f"SO{YEAR}-00001", f"SO{YEAR}-00002")
    db.session.commit()
    refused(order, customer, [{"description": "x", "quantity": 0}])
    db.session.rollback()  # the refused quotation gives its number back
    assert order(customer).name == f"SO{YEAR}-00003"
    assert order(customer, date_order=date(YEAR - 1, 12, 31)).name == f"SO{YEAR - 1}-00001"

"""A printed invoice says what is paid and what is due, and its rates as percentages
(issue 15)."""
from __future__ import annotations

from decimal import Decimal

from core.db import db

from .conftest import acting, invoice, line, partner


def test_the_print_shows_paid_due_and_rates(billing, bea_client):
    from modules.billing import services

    with acting(billing, "bea"):
        customer = partner(lang="vi")
        made = invoice(customer.id, line("Beans", "2", "50", discount="12.5", tax="10"))
        services.post(made)
        made.amount_paid = Decimal(30)
        made.amount_residual = made.amount_total - made.amount_paid
        db.session.commit()
        invoice_id = made.id
    page = bea_client.get(f"/billing/invoices/{invoice_id}/print").text
    assert "10%" in page and "12,5%" in page  # the customer's (Vietnamese) numbers
    assert "<td class=\"num\">10</td>" not in page
    assert "class=\"paid\"" in page and "class=\"total due\"" in page
    assert "30,00" in page

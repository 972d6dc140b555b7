"""Demo data: a customer on "50% now, 50% in 60 days", invoices posted, paid in part and
overdue. (Orders the sales demo confirms get their draft invoices by themselves.)"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from core.db import db
from core.partners.models import Partner

from . import services
from .models import Invoice, PaymentTerm


def load() -> None:
    partners = dict(db.session.execute(sa.select(Partner.name, Partner.id).where(
        Partner.is_company.is_(True))).all())
    terms = dict(db.session.execute(sa.select(PaymentTerm.name, PaymentTerm.id)).all())
    if "Công ty TNHH Hoa Sen" in partners:
        services.set_term(partners["Công ty TNHH Hoa Sen"],
                          terms.get("50% now, 50% in 60 days"))
    if "Công ty TNHH Hoa Sen" in partners:
        services.post(services.create_invoice(
            partners["Công ty TNHH Hoa Sen"],
            [{"description": "Cà phê rang xay 1kg", "quantity": Decimal(40),
              "price_unit": Decimal("12.80"), "tax_rate": Decimal(8)}],
            date_invoice=date.today() - timedelta(days=20)))
    if "上海明珠贸易有限公司" in partners:
        services.post(services.create_invoice(
            partners["上海明珠贸易有限公司"],
            [{"description": "办公椅 人体工学", "quantity": Decimal(20),
              "price_unit": Decimal(170), "tax_rate": Decimal(13)}],
            date_invoice=date.today() - timedelta(days=40)))
    if "Blue River Trading Ltd" in partners:
        late = services.create_invoice(
            partners["Blue River Trading Ltd"],
            [{"description": "Consulting, September", "quantity": Decimal(12),
              "price_unit": Decimal(95), "tax_rate": Decimal(10)}],
            date_invoice=date.today() - timedelta(days=75))
        services.post(late)
    first = db.session.execute(sa.select(Invoice).where(Invoice.state == "posted")
                               .order_by(Invoice.id)).scalars().first()
    if first is not None:
        services.register_payment(first.partner_id, (first.amount_total / 2).quantize(
            Decimal("0.01")), [first.id], reference="UNC-0001")

"""Demo data: limits on two demo customers, one of them near it."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from core.db import db
from core.partners.models import Partner

from . import services


def load() -> None:
    partners = dict(db.session.execute(sa.select(Partner.name, Partner.id).where(
        Partner.is_company.is_(True))).all())
    for name, limit, mode in (("Blue River Trading Ltd", "1300", "block"),
                              ("上海明珠贸易有限公司", "14000", "warn"),
                              ("Cà phê Sài Gòn Xanh", "2000", "block")):
        if name in partners:
            services.set_credit(partners[name], Decimal(limit), mode)

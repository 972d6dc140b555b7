"""A customer's credit limit: credit_limit's own table keyed by the partner, so disabling
the module leaves partners untouched and enabling it again finds the limits as they were."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model

MODES = {"warn": _l("Warn"), "block": _l("Block")}


class PartnerCredit(Model):
    __model__ = "partner.credit"
    __timeline__ = True
    __timeline_of__ = ("partner", "partner_id")  # its changes show on the customer's page

    partner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("partner.id", ondelete="CASCADE"), unique=True,
        info={"label": _l("Customer")})
    credit_limit: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(16, 2), info={"label": _l("Credit limit"), "min": 0})
    mode: Mapped[str] = mapped_column(sa.String(8), default="warn",
                                      info={"label": _l("When passed"), "choices": MODES})

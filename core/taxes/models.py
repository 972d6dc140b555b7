from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model, db
from core.documents import PERCENT, Percent
from core.translatable import N_, expression


class Tax(Model):
    __model__ = "tax"
    __table_args__ = (sa.CheckConstraint("rate >= 0 AND rate <= 100", name="rate_percent"),)

    name: Mapped[str] = mapped_column(sa.String(64),
                                      info={"label": _l("Name"), "translatable": True})
    rate: Mapped[Decimal] = mapped_column(Percent, default=Decimal(0),
                                          info={"label": _l("Tax rate"), **PERCENT})
    sequence: Mapped[int] = mapped_column(default=10, info={"label": _l("Sequence")})
    active: Mapped[bool] = mapped_column(default=True, index=True,
                                         info={"label": _l("Active")})

    def __str__(self) -> str:
        return self.name


# the taxes to start from: Vietnamese VAT's rates (translated through the catalogs)
DEFAULTS = [(N_("No tax"), "0"), (N_("VAT"), "5"), (N_("VAT"), "8"), (N_("VAT"), "10")]


def tax_choices(current=()) -> list[tuple[str, str]]:
    """(rate, label) of the active taxes for a line's select ("VAT 10%", in the reader's
    language), plus any rate a line already carries that is no longer configured (so
    opening a document never changes it)."""
    rows = db.session.execute(sa.select(Tax.rate, expression(Tax, "name")).where(
        Tax.active.is_(True)).order_by(Tax.sequence, Tax.rate, Tax.id)).all()
    choices = [(tax_key(rate), f"{name} {tax_key(rate)}%" if rate and tax_key(rate) not in name
                else name) for rate, name in rows]
    known = {key for key, _name in choices}
    for rate in current:
        if rate is not None and tax_key(rate) not in known:
            choices.append((tax_key(rate), f"{tax_key(rate)}%"))
            known.add(tax_key(rate))
    return choices


def tax_key(rate) -> str:
    """A rate as the select's value: "10", "8.5" (what the editor posts back)."""
    return format(Decimal(rate).normalize(), "f")

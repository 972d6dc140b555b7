"""The partner record: a company or a person, possibly a contact of a company."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Model

KINDS = {"customer": _l("Customer"), "prospect": _l("Prospect"), "supplier": _l("Supplier"),
         "partner": _l("Partner")}


class Partner(Model):
    __model__ = "partner"
    __timeline__ = True

    name: Mapped[str] = mapped_column(sa.String(200), index=True, info={"label": _l("Name")})
    is_company: Mapped[bool] = mapped_column(default=False, index=True,
                                             info={"label": _l("Company")})
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("partner.id", ondelete="SET NULL"), index=True,
        info={"label": _l("Company")})
    kind: Mapped[str] = mapped_column(sa.String(16), default="customer", index=True,
                                      info={"label": _l("Kind"), "choices": KINDS})
    email: Mapped[str | None] = mapped_column(sa.String(254), index=True,
                                              info={"label": _l("Email"), "format": "email"})
    phone: Mapped[str | None] = mapped_column(sa.String(64), index=True,
                                              info={"label": _l("Phone")})
    mobile: Mapped[str | None] = mapped_column(sa.String(64), info={"label": _l("Mobile")})
    website: Mapped[str | None] = mapped_column(sa.String(254), info={"label": _l("Website")})
    street: Mapped[str | None] = mapped_column(sa.String(254), info={"label": _l("Street")})
    city: Mapped[str | None] = mapped_column(sa.String(128), index=True,
                                             info={"label": _l("City")})
    zip: Mapped[str | None] = mapped_column(sa.String(32), info={"label": _l("Postcode")})
    country: Mapped[str | None] = mapped_column(sa.String(2), index=True,
                                                info={"label": _l("Country")})
    tax_id: Mapped[str | None] = mapped_column(sa.String(64), info={"label": _l("Tax ID")})
    industry: Mapped[str | None] = mapped_column(sa.String(128), info={"label": _l("Industry")})
    source: Mapped[str | None] = mapped_column(sa.String(128), info={"label": _l("Source")})
    salesperson_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("core_user.id", ondelete="SET NULL"), index=True,
        info={"label": _l("Salesperson")})
    lang: Mapped[str | None] = mapped_column(sa.String(16), info={"label": _l("Language")})
    notes: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Notes")})
    active: Mapped[bool] = mapped_column(default=True, index=True,
                                         info={"label": _l("Active")})
    marketing_consent: Mapped[bool] = mapped_column(
        default=False, info={"label": _l("Agrees to marketing")})
    opt_out: Mapped[bool] = mapped_column(default=False, index=True,
                                          info={"label": _l("Do not contact")})

    parent: Mapped[Partner | None] = relationship(remote_side="Partner.id", lazy="raise")

    def __str__(self) -> str:
        return self.name

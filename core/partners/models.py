"""The partner record: a company or a person, possibly a contact of a company."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.choices import COUNTRIES, LANGUAGES
from core.db import Model, db, signed_in_user_id

COLORS = {"secondary": _l("Grey"), "primary": _l("Blue"), "success": _l("Green"),
          "warning": _l("Yellow"), "danger": _l("Red"), "info": _l("Cyan")}

KINDS = {"customer": _l("Customer"), "prospect": _l("Prospect"), "supplier": _l("Supplier"),
         "partner": _l("Partner")}


class Partner(Model):
    __model__ = "partner"
    __timeline__ = True
    # reference pickers list active partners by name
    __table_args__ = (sa.Index("ix_partner_active_name", "active", "name"),)
    # what the contacts list searches, by an index (core.search; migration core_0005)
    __search__ = ("name", "email", "phone", "city")

    name: Mapped[str] = mapped_column(sa.String(200), index=True, info={"label": _l("Name")})
    is_company: Mapped[bool] = mapped_column(default=False, index=True,
                                             info={"label": _l("Is a company")})
    # the company a person works at: companies only (pickers offer no one else, and the
    # save path refuses a person)
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("partner.id", ondelete="SET NULL"), index=True,
        info={"label": _l("Works at"), "choices_where": {"is_company": True},
              "choices_refused": _l("Choose a company, not a person.")})
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
    country: Mapped[str | None] = mapped_column(
        sa.String(2), index=True, info={"label": _l("Country"), "choices": COUNTRIES})
    tax_id: Mapped[str | None] = mapped_column(sa.String(64), info={"label": _l("Tax ID")})
    industry: Mapped[str | None] = mapped_column(sa.String(128), info={"label": _l("Industry")})
    source: Mapped[str | None] = mapped_column(sa.String(128), info={"label": _l("Source")})
    # who looks after the customer: others' rules key on it (billing shows them its
    # invoices), so only those who may give records to others change it; a new contact
    # is its maker's
    salesperson_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("core_user.id", ondelete="SET NULL"), index=True,
        info={"label": _l("Salesperson"), "write_right": "core.assign",
              "default": signed_in_user_id})
    # the language documents are printed and written to them in (core.translatable)
    lang: Mapped[str | None] = mapped_column(
        sa.String(16), info={"label": _l("Language"), "choices": LANGUAGES})
    notes: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Notes")})
    active: Mapped[bool] = mapped_column(default=True, index=True,
                                         info={"label": _l("Active")})
    marketing_consent: Mapped[bool] = mapped_column(
        default=False, info={"label": _l("Agrees to marketing")})
    opt_out: Mapped[bool] = mapped_column(default=False, index=True,
                                          info={"label": _l("Do not contact")})

    parent: Mapped[Partner | None] = relationship(remote_side="Partner.id", lazy="raise")
    tags: Mapped[list[PartnerTag]] = relationship(
        secondary="partner_tag_link", order_by="PartnerTag.name", info={"label": _l("Tags")})

    def __str__(self) -> str:
        return self.name


class PartnerTag(Model):
    """A free label on partners ("VIP", "Trade fair 2026"), for filtering and campaigns."""
    __model__ = "partner.tag"

    name: Mapped[str] = mapped_column(sa.String(64), unique=True, info={"label": _l("Name")})
    color: Mapped[str] = mapped_column(sa.String(16), default="secondary",
                                       info={"label": _l("Colour"), "choices": COLORS})
    active: Mapped[bool] = mapped_column(default=True, info={"label": _l("Active")})

    def __str__(self) -> str:
        return self.name


class PartnerTagLink(db.Model):
    """Which partner carries which tag. Mapped (not a bare Table) so that the module
    registry knows whose table it is, like every other table."""
    __tablename__ = "partner_tag_link"

    partner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(
        sa.ForeignKey("partner_tag.id", ondelete="CASCADE"), primary_key=True, index=True)

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model


class Loan(Model):
    __model__ = "fx.loan"

    book_id: Mapped[int] = mapped_column(sa.ForeignKey("fx_book.id"), index=True)
    borrower: Mapped[str] = mapped_column(sa.String(200))
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partner.id"), index=True)

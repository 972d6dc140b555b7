from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model


class Book(Model):
    __model__ = "fx.book"
    __timeline__ = True

    title: Mapped[str] = mapped_column(sa.String(200), index=True, info={"label": "Title"})
    author: Mapped[str | None] = mapped_column(sa.String(200))
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), index=True)
    status: Mapped[str] = mapped_column(
        sa.String(16), default="shelved", index=True,
        info={"label": "Status", "choices": {"shelved": "Shelved", "reading": "Reading",
                                             "repair": "In repair"}})
    published_on: Mapped[date | None] = mapped_column(index=True)
    price: Mapped[Decimal | None] = mapped_column(sa.Numeric(16, 2))

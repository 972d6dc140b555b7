import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model


class Book(Model):
    __model__ = "fx.book"

    title: Mapped[str] = mapped_column(sa.String(200), index=True)
    author: Mapped[str | None] = mapped_column(sa.String(200))

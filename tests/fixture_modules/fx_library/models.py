import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model


class Book(Model):
    __model__ = "fx.book"
    __timeline__ = True

    title: Mapped[str] = mapped_column(sa.String(200), index=True, info={"label": "Title"})
    author: Mapped[str | None] = mapped_column(sa.String(200))
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_user.id"), index=True)

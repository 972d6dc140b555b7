"""Users and their groups. Groups are declared by manifests; a user's membership is stored
by the group's id, so it survives the module being disabled and enabled again."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core.db import db, utcnow

ADMIN_GROUP = "core.admin"


class User(UserMixin, db.Model):
    __tablename__ = "core_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(128))
    email: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    lang: Mapped[str | None] = mapped_column(sa.String(16))
    tz: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    memberships: Mapped[list[UserGroup]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)  # scrypt

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def group_ids(self) -> set[str]:
        return {m.group_id for m in self.memberships}

    @property
    def is_admin(self) -> bool:
        return ADMIN_GROUP in self.group_ids

    def set_groups(self, group_ids) -> None:
        wanted = set(group_ids)
        self.memberships = [m for m in self.memberships if m.group_id in wanted] + [
            UserGroup(group_id=g) for g in sorted(wanted - self.group_ids)
        ]


class UserGroup(db.Model):
    __tablename__ = "core_user_group"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True, index=True)

    user: Mapped[User] = relationship(back_populates="memberships")

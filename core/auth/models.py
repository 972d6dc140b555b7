"""Users, their groups and teams, and API tokens. Groups are declared by manifests; a user's
membership is stored by the group's id, so it survives the module being disabled."""
from __future__ import annotations

import functools
import hashlib
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core.db import db, utcnow

ADMIN_GROUP = "core.admin"
TOUCH_EVERY = timedelta(minutes=1)  # how fresh a token's "last used" is kept
USER_GROUP = "core.user"
# a login is one word: letters, digits and . @ + - _ (no space, line break or control
# character); \Z, not $, which would let a trailing line break through
LOGIN_PATTERN = r"^[\w.@+-]{1,64}\Z"
PASSWORD_MIN = 8


def login_problem(login: str):
    """Why `login` cannot be a login (the forms and the CLI ask), or None."""
    if not re.match(LOGIN_PATTERN, login or ""):
        return _l("Letters, digits and . @ + - _ only.")
    return None


def password_problem(password: str):
    """Why `password` cannot be a new password, or None."""
    if len(password or "") < PASSWORD_MIN or not password.strip():
        return _l("At least 8 characters.")
    return None


class User(UserMixin, db.Model):
    __tablename__ = "core_user"
    __model__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(128), index=True)
    email: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True, index=True)
    lang: Mapped[str | None] = mapped_column(sa.String(16))
    tz: Mapped[str | None] = mapped_column(sa.String(64))
    theme: Mapped[str | None] = mapped_column(sa.String(32))  # a themes/ folder; None: default
    manager_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("core_user.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    manager: Mapped[User | None] = relationship(remote_side=[id], lazy="joined", join_depth=1)
    memberships: Mapped[list[UserGroup]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    # The signed-in session this object stands for in the current request (core.auth.
    # sessions sets them): its key is what the session and remember cookies carry.
    session_key = None
    session_id = None
    # the group ids read with the user by the request's sign-in (signed_in), so that
    # rights cost no query of their own; None: read them from the memberships
    _preloaded_groups = None  # a frozenset once read

    def get_id(self) -> str | None:
        """Flask-Login's id for the cookies: the session's key, never the user's id, so that
        ending the session (its row) ends every cookie that carries it."""
        return self.session_key

    def __eq__(self, other):  # UserMixin compares get_id(), which is per session
        return isinstance(other, User) and self.id is not None and self.id == other.id

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = object.__hash__

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)  # scrypt

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def group_ids(self) -> set[str]:
        if self._preloaded_groups is not None:
            return set(self._preloaded_groups)
        return {m.group_id for m in self.memberships}

    @classmethod
    def signed_in(cls, row_entity, *where, counters=()):
        """The statement that reads a sign-in (a token, a session) with its user and the
        user's group ids, in one: (row, user, groups joined by ",", *counters' values)."""
        from core.modules.models import StateCounter

        groups = (sa.select(sa.func.aggregate_strings(UserGroup.group_id, ","))
                  .where(UserGroup.user_id == cls.id).correlate(cls).scalar_subquery())
        values = [sa.select(StateCounter.value).where(StateCounter.key == key)
                  .scalar_subquery() for key in counters]
        # the row's own relationship to its user is the joined user (by identity): no
        # second join, whose user would load its memberships with a query of their own
        own = [sa.orm.lazyload(row_entity.user)] \
            if "user" in sa.inspect(row_entity).relationships else []
        return (sa.select(row_entity, cls, groups, *values)
                .join(cls, cls.id == row_entity.user_id)
                .where(*where).options(sa.orm.lazyload(cls.memberships), *own))

    def preload_groups(self, joined: str | None) -> None:
        self._preloaded_groups = frozenset(filter(None, (joined or "").split(",")))

    @property
    def is_admin(self) -> bool:
        return ADMIN_GROUP in self.group_ids

    def set_groups(self, group_ids) -> None:
        self._preloaded_groups = None
        wanted = set(group_ids)
        self.memberships = [m for m in self.memberships if m.group_id in wanted] + [
            UserGroup(group_id=g) for g in sorted(wanted - self.group_ids)
        ]

    def __str__(self) -> str:
        return self.name


class UserGroup(db.Model):
    __tablename__ = "core_user_group"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True, index=True)

    user: Mapped[User] = relationship(back_populates="memberships")


class Team(db.Model):
    """A sales or service team: modules use it for "my team's records" rules."""

    __tablename__ = "core_team"
    __model__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(128), unique=True)
    leader_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("core_user.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    leader: Mapped[User | None] = relationship(lazy="joined")
    members: Mapped[list[User]] = relationship(secondary="core_team_member", lazy="selectin",
                                               order_by="User.name")

    def __str__(self) -> str:
        return self.name


class TeamMember(db.Model):
    __tablename__ = "core_team_member"

    team_id: Mapped[int] = mapped_column(
        sa.ForeignKey("core_team.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True, index=True)


class ApiToken(db.Model):
    """A bearer token for the API. Only its SHA-256 is stored: the token itself is shown
    once, when made."""

    __tablename__ = "core_api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(128))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))  # shown in lists to tell tokens apart
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        token = "erp_" + secrets.token_urlsafe(32)
        record = cls(user_id=user.id, name=name, token_hash=cls.digest(token), prefix=token[:12])
        db.session.add(record)
        return record, token

    @classmethod
    def find(cls, token: str) -> tuple[User | None, ApiToken | None]:
        """The active user a token signs in, and the token when its last use is older
        than a minute (the caller writes it then: not a write per request). The same
        statement reads the state counters (core.modules.models.COUNTERS) into `g`: an
        API request's whole sign-in is one statement."""
        from core.modules.models import COUNTERS, keep_counters

        found = db.session.execute(_token_statement(), {"digest": cls.digest(token)}).first()
        if found is None or not found[1].active:
            return None, None
        record, user, groups, *values = found
        keep_counters(dict(zip(COUNTERS, values, strict=True)))
        user.preload_groups(groups)
        stale = record.last_used_at is None or record.last_used_at < utcnow() - TOUCH_EVERY
        return user, record if stale else None

    def touch(self) -> None:
        db.session.execute(sa.update(ApiToken).where(ApiToken.id == self.id).values(
            last_used_at=utcnow()))


@functools.cache
def _token_statement():
    """The statement `ApiToken.find` runs on every API request: built once."""
    from core.modules.models import COUNTERS

    return User.signed_in(ApiToken, ApiToken.token_hash == sa.bindparam("digest"),
                          ApiToken.revoked_at.is_(None), counters=COUNTERS)


class UserSession(db.Model):
    """One signed-in browser. The session cookie and the "keep me signed in" cookie carry
    its key (only the key's SHA-256 is stored), so ending the row ends both at once:
    signing out, a password change or reset, and deactivating the user end them, and a
    user sees and ends their other sessions on their profile."""

    __tablename__ = "core_user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    address: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(index=True)

    user: Mapped[User] = relationship(lazy="joined")

    @staticmethod
    def digest(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

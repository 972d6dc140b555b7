"""Signed-in sessions. Signing in makes a UserSession row with a random key; the session
cookie and the "keep me signed in" cookie carry that key (User.get_id), never the user's
id, and every request looks it up (the user_loader). Ending the row therefore ends both
cookies at once, however old or copied they are: signing out, a password change or reset,
deactivation, and the "sign out" buttons of the profile and of Settings → Users."""
from __future__ import annotations

import functools
import logging
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g, request
from flask_babel import gettext as _

from core.db import db, utcnow

from .models import User, UserSession

log = logging.getLogger(__name__)
SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often


def _max_age() -> timedelta:
    """The longest any session lives: as long as its remember cookie."""
    duration = current_app.config["REMEMBER_COOKIE_DURATION"]
    return duration if isinstance(duration, timedelta) else timedelta(seconds=duration)


def _idle() -> timedelta:
    return timedelta(seconds=current_app.config["ERP_SESSION_IDLE_SECONDS"])


def live(now: datetime | None = None):
    """The condition on UserSession rows that still sign someone in."""
    now = now or utcnow()
    return _live(now - _max_age(), now - _idle())


def _live(born_after, seen_after):
    return sa.and_(UserSession.ended_at.is_(None), UserSession.created_at > born_after,
                   sa.or_(UserSession.remember, UserSession.last_seen_at > seen_after))


@functools.cache
def _signing_in():
    """The statement `load` runs on every request: built once, its values bound."""
    return User.signed_in(UserSession, UserSession.key_hash == sa.bindparam("digest"),
                          _live(sa.bindparam("born_after"), sa.bindparam("seen_after")))


def start(user: User, remember: bool) -> str:
    """A new session for `user` (signing in): its key, also kept on the user for get_id."""
    now = utcnow()
    # what has ended or expired long ago is of no use to anyone
    db.session.execute(sa.delete(UserSession).where(
        UserSession.user_id == user.id,
        sa.or_(UserSession.ended_at < now - _max_age(),
               UserSession.created_at < now - 2 * _max_age())))
    key = secrets.token_urlsafe(32)
    row = UserSession(user_id=user.id, key_hash=UserSession.digest(key), remember=remember,
                      address=(request.remote_addr or "")[:64] or None,
                      user_agent=(request.user_agent.string or "")[:255] or None,
                      created_at=now, last_seen_at=now)
    db.session.add(row)
    db.session.flush()
    user.session_key, user.session_id = key, row.id
    return key


def load(key) -> User | None:
    """The user_loader: the active user whose live session has this key, else None."""
    if not isinstance(key, str) or not 20 <= len(key) <= 100:
        return None  # e.g. a cookie from before sessions were rows: a user's id
    now = utcnow()
    found = db.session.execute(_signing_in(), {
        "digest": UserSession.digest(key), "born_after": now - _max_age(),
        "seen_after": now - _idle()}).first()
    if found is None or not found[1].active:
        return None
    row, user, groups = found
    user.preload_groups(groups)
    if now - row.last_seen_at >= SEEN_EVERY:
        g._erp_session_seen = row.id  # written when the request ends (save_last_seen)
    user.session_key, user.session_id = key, row.id
    return user


def save_last_seen(exc=None) -> None:
    """teardown_request: note when the session was last used, in a transaction of its own
    after the request's work (what the request left uncommitted is rolled back at its end
    anyway), so that reading a page writes nothing but this, once a minute."""
    session_id = g.pop("_erp_session_seen", None)
    if session_id is None or exc is not None:
        return
    try:
        db.session.rollback()
        db.session.execute(sa.update(UserSession).where(UserSession.id == session_id)
                           .values(last_seen_at=utcnow()))
        db.session.commit()
    except sa.exc.SQLAlchemyError:  # a busy database must not fail the page it served
        db.session.rollback()
        log.warning("could not note when session %s was last seen", session_id,
                    exc_info=True)


def end(user_id: int, session_ids=None, keep: int | None = None) -> int:
    """End sessions of `user_id`: those in `session_ids`, else all but `keep`. The caller
    commits. Returns how many were ended."""
    stmt = sa.update(UserSession).where(UserSession.user_id == user_id,
                                        UserSession.ended_at.is_(None))
    if session_ids is not None:
        stmt = stmt.where(UserSession.id.in_(list(session_ids)))
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep)
    return db.session.execute(stmt.values(ended_at=utcnow())).rowcount


def active(user_id: int) -> list[UserSession]:
    """The user's sessions that still sign in, the latest seen first."""
    return list(db.session.execute(
        sa.select(UserSession).where(UserSession.user_id == user_id, live())
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())).scalars())


_BROWSERS = [  # the order matters: Edge and Opera also call themselves Chrome and Safari
    ("Edge", r"Edg(e|A|iOS)?/"), ("Opera", r"OPR/|Opera"), ("Firefox", r"Firefox/|FxiOS/"),
    ("Chrome", r"Chrome/|CriOS/"), ("Safari", r"Safari/"),
]
_SYSTEMS = [
    ("Android", r"Android"), ("iOS", r"iPhone|iPad|iPod"), ("Windows", r"Windows"),
    ("macOS", r"Mac OS X|Macintosh"), ("ChromeOS", r"CrOS"), ("Linux", r"Linux|X11"),
]


def describe_agent(agent: str | None) -> str:
    """"Firefox on Linux" from a User-Agent header: enough to tell one's devices apart."""
    agent = agent or ""
    browser = next((name for name, pattern in _BROWSERS if re.search(pattern, agent)), None)
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, agent)), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or (agent[:60] if agent else _("Unknown browser"))

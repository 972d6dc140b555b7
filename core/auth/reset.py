"""Choosing a new password by email ("Forgot your password?"). The mail carries a signed,
expiring token (itsdangerous, with a salt of its own) that names the user and a
fingerprint of their current password hash: once the password changes, by this link or
otherwise, every link sent before stops working, so each works once."""
from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import current_app, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from core.db import db
from core.mail import queue_mail

from .models import User

SALT = "erp.password-reset"
MAILS_PER_USER = 3  # reset mails one user may get per hour, whoever asks
MATCHES = 5  # users who share an email address: at most this many are sent a link


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def make_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "p": _fingerprint(user)})


def user_for(token: str) -> User | None:
    """The active user the token was made for, while it is fresh and their password is
    the one it was made with; else None (expired, tampered with, used, or made for a
    password since changed)."""
    try:
        data = _serializer().loads(token, max_age=current_app.config[
            "ERP_PASSWORD_RESET_SECONDS"])
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = db.session.get(User, data["u"])
    if user is None or not user.active or data.get("p") != _fingerprint(user):
        return None
    return user


def matching_users(text: str) -> list[User]:
    """Who "login or email" names: the user of that login, else the active users with that
    email address (any case)."""
    text = (text or "").strip()
    if not text:
        return []
    user = db.session.execute(sa.select(User).where(User.login == text)).scalar()
    if user is not None:
        return [user] if user.active and user.email else []
    return list(db.session.execute(
        sa.select(User).where(User.active, sa.func.lower(User.email) == text.lower())
        .order_by(User.id).limit(MATCHES)).scalars())


def link_for(token: str) -> str:
    """The link in the mail: from ERP_BASE_URL when set, else the address the request
    came to (which a forged Host header must not reach: see deploy/nginx.conf)."""
    path = url_for("auth.reset_password", token=token)
    base = current_app.config.get("ERP_BASE_URL")
    return (base.rstrip("/") if base else request.url_root.rstrip("/")) + path


def send_link(user: User) -> bool:
    """Queue the mail with a link for `user`, in their language; False when they have been
    sent enough this hour (the answer to whoever asked stays the same)."""
    from core import ratelimit
    from core.notifications import in_language

    limits = current_app.extensions["erp.reset_limits"]
    if not limits.storage.rate(f"reset:user:{user.id}", ratelimit.clock(), MAILS_PER_USER,
                               3600).allowed:
        return False
    link = link_for(make_token(user))
    minutes = current_app.config["ERP_PASSWORD_RESET_SECONDS"] // 60
    with in_language(user):
        subject = _("Choose a new password")
        body = _("Hello %(name)s,\n\nSomeone, hopefully you, asked to choose a new password "
                 "for your account %(login)s. To do so, open this link within %(minutes)s "
                 "minutes; it works once:\n\n%(link)s\n\nIf you did not ask for this, ignore "
                 "this message: your password stays as it is.",
                 name=user.name, login=user.login, minutes=minutes, link=link)
    return queue_mail(user.email, subject, body)

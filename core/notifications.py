"""The in-app inbox: notifications for one user, with an unread count in the top bar.
`notify(user_id, subject, body, link)` is what modules and jobs call; the text is stored
as written, so callers render it in the recipient's language (see `in_language`)."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import force_locale
from flask_login import current_user
from sqlalchemy.orm import Mapped, mapped_column

from core import access
from core.db import db, utcnow
from core.security import redirect_back, safe_target

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


class Notification(db.Model):
    __tablename__ = "core_notification"
    __table_args__ = (sa.Index("ix_core_notification_inbox", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("core_user.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(sa.String(255))
    body: Mapped[str | None] = mapped_column(sa.Text)
    link: Mapped[str | None] = mapped_column(sa.String(512))
    key: Mapped[str | None] = mapped_column(sa.String(128), unique=True)  # sent once per key
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


def notify(user_id: int, subject: str, body: str | None = None, link: str | None = None,
           key: str | None = None) -> bool:
    """Put a notification in a user's inbox; with a `key`, only once ever (jobs re-run)."""
    if key and db.session.execute(
            sa.select(Notification.id).where(Notification.key == key)).first():
        return False
    db.session.add(Notification(user_id=user_id, subject=subject[:255], body=body,
                                link=link, key=key))
    return True


@contextmanager
def in_language(user):
    """Render text for `user` in their own language, whoever is asking."""
    from flask import current_app

    with force_locale(getattr(user, "lang", None) or current_app.config["ERP_DEFAULT_LOCALE"]):
        yield


def unread_count(user_id: int) -> int:
    return db.session.execute(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))).scalar()


@bp.route("/")
@access.signed_in
def index():
    items = db.session.execute(
        sa.select(Notification).where(Notification.user_id == current_user.id)
        .order_by(Notification.id.desc()).limit(200)).scalars().all()
    return render_template("core/inbox.html", items=items)


@bp.route("/<int:item_id>", methods=["POST"])
@access.signed_in
def open_item(item_id):
    """Mark read and follow the notification's link."""
    item = db.session.get(Notification, item_id)
    if item is None or item.user_id != current_user.id:
        abort(404)
    item.read_at = item.read_at or utcnow()
    db.session.commit()
    return redirect(safe_target(item.link, url_for("inbox.index")))


@bp.route("/read-all", methods=["POST"])
@access.signed_in
def read_all():
    db.session.execute(sa.update(Notification).where(
        Notification.user_id == current_user.id, Notification.read_at.is_(None)
    ).values(read_at=utcnow()))
    db.session.commit()
    return redirect_back(url_for("inbox.index"))

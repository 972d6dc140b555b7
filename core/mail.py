"""The email outbox: mail is queued in the database with the change that caused it, and a
scheduled job delivers it over SMTP, so a slow or absent mail server never fails a request
and a rolled-back change sends nothing."""
from __future__ import annotations

import smtplib
from datetime import datetime
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, utcnow

MAX_ATTEMPTS = 5


class OutboxMail(db.Model):
    __tablename__ = "core_outbox"
    __table_args__ = (sa.Index("ix_core_outbox_pending", "sent_at", "attempts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_addr: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(255))
    body: Mapped[str] = mapped_column(sa.Text)
    key: Mapped[str | None] = mapped_column(sa.String(128), unique=True)  # queued once per key
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)


def queue_mail(to_addr: str, subject: str, body: str, key: str | None = None) -> bool:
    if not to_addr:
        return False
    if key and db.session.execute(sa.select(OutboxMail.id).where(OutboxMail.key == key)).first():
        return False
    db.session.add(OutboxMail(to_addr=to_addr, subject=subject[:255], body=body, key=key))
    return True


def deliver_outbox(limit: int = 100) -> str:
    """Job: send what is queued; a failure is kept with its error and retried next time."""
    config = current_app.config
    pending = db.session.execute(
        sa.select(OutboxMail).where(OutboxMail.sent_at.is_(None),
                                    OutboxMail.attempts < MAX_ATTEMPTS)
        .order_by(OutboxMail.id).limit(limit)).scalars().all()
    if not pending:
        return "nothing to send"
    sent = 0
    try:
        smtp = smtplib.SMTP(config["ERP_SMTP_HOST"], config["ERP_SMTP_PORT"], timeout=10)
    except OSError as exc:
        for mail in pending:
            mail.attempts += 1
            mail.last_error = f"connect: {exc}"[:2000]
        return f"mail server unreachable: {exc}"
    with smtp:
        if config.get("ERP_SMTP_STARTTLS"):
            smtp.starttls()
        if config.get("ERP_SMTP_USER"):
            smtp.login(config["ERP_SMTP_USER"], config.get("ERP_SMTP_PASSWORD") or "")
        for mail in pending:
            message = EmailMessage()
            message["From"] = config["ERP_MAIL_FROM"]
            message["To"] = mail.to_addr
            message["Subject"] = mail.subject
            message.set_content(mail.body)
            mail.attempts += 1
            try:
                smtp.send_message(message)
            except smtplib.SMTPException as exc:
                mail.last_error = str(exc)[:2000]
                continue
            mail.sent_at = utcnow()
            sent += 1
    return f"sent {sent} of {len(pending)}"

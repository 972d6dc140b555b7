"""The email outbox: mail is queued in the database with the change that caused it, and a
scheduled job delivers it over SMTP (in a task worker), so a slow or absent mail server
never fails a request and a rolled-back change sends nothing.

Header values (the recipient, the subject) are one line: CR, LF and other control
characters are folded into spaces when mail is queued and again when it is sent, so no
text (an activity's title, a customer's name) can add headers or break a message. Each
message is claimed, sent and marked in steps of its own, each committed: a failure counts
an attempt against that message only and the others go on; a message that keeps failing
waits longer before each try (ERP_MAIL_RETRY_SECONDS, doubled each time) and is given up
after ERP_MAIL_MAX_ATTEMPTS (state failed: Settings → Outgoing mail lists it and retries
it). A run in which anything failed ends failed, with what went wrong as its result."""
from __future__ import annotations

import logging
import re
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, retry_writes, utcnow
from core.scheduler import JobError

log = logging.getLogger(__name__)
STATES = ("pending", "sent", "failed")
BATCH = 100  # messages per run at most
MAX_WAIT = timedelta(hours=6)  # the longest wait between two tries
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class OutboxMail(db.Model):
    __tablename__ = "core_outbox"
    __table_args__ = (sa.Index("ix_core_outbox_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_addr: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(255))
    body: Mapped[str] = mapped_column(sa.Text)
    key: Mapped[str | None] = mapped_column(sa.String(128), unique=True)  # queued once per key
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(sa.String(16), default="pending")  # STATES
    next_attempt_at: Mapped[datetime | None]  # not tried again before (None: at once)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)


def header_value(text: str | None, limit: int = 255) -> str:
    """`text` as one header line: control characters (CR and LF among them) become
    spaces, runs of white space one space, and it is cut to `limit` characters."""
    return " ".join(_CONTROL.sub(" ", text or "").split())[:limit]


def queue_mail(to_addr: str, subject: str, body: str, key: str | None = None) -> bool:
    to_addr = header_value(to_addr, 254)
    if not to_addr:
        return False
    if key and db.session.execute(sa.select(OutboxMail.id).where(OutboxMail.key == key)).first():
        return False
    db.session.add(OutboxMail(to_addr=to_addr, subject=header_value(subject), body=body,
                              key=key))
    return True


def _due(now: datetime):
    return sa.and_(OutboxMail.state == "pending",
                   sa.or_(OutboxMail.next_attempt_at.is_(None), OutboxMail.next_attempt_at <= now))


def retry_wait(attempts: int) -> timedelta:
    """How long a message that was tried `attempts` times waits before its next try."""
    first = current_app.config["ERP_MAIL_RETRY_SECONDS"]
    return min(timedelta(seconds=first * 2 ** max(attempts - 1, 0)), MAX_WAIT)


def deliver_outbox(limit: int = BATCH) -> str:
    """Job: send the mail that is due, each message in its own steps (see above). Raises
    JobError, after sending what it could, when the server is unreachable or a message
    failed."""
    config = current_app.config
    due = db.session.execute(sa.select(OutboxMail.id).where(_due(utcnow()))
                             .order_by(OutboxMail.id).limit(limit)).scalars().all()
    db.session.rollback()
    if not due:
        return "nothing to send"
    smtp, sent, failures = None, 0, []
    try:
        for mail_id in due:
            if smtp is None:
                try:
                    smtp = _connect(config)
                except (OSError, smtplib.SMTPException) as exc:  # no message counts it
                    failures.append(f"mail server unreachable: {exc}")
                    break
            mail = _claim(mail_id)
            if mail is None:
                continue  # sent or being sent by another run meanwhile
            try:
                smtp.send_message(_message(config, mail))
            except Exception as exc:  # noqa: BLE001 - counted against this message only
                failures.append(f"#{mail_id}: {exc.__class__.__name__}: {exc}")
                _failed(mail_id, f"{exc.__class__.__name__}: {exc}")
                if isinstance(exc, OSError | smtplib.SMTPServerDisconnected):
                    _close(smtp)
                    smtp = None  # connect afresh for the next one
                continue
            _mark_sent(mail_id)
            sent += 1
    finally:
        _close(smtp)
    summary = f"sent {sent} of {len(due)}"
    if failures:
        raise JobError(f"{summary}; " + "; ".join(failures)[:1900])
    return summary


def _connect(config) -> smtplib.SMTP:
    smtp = smtplib.SMTP(config["ERP_SMTP_HOST"], config["ERP_SMTP_PORT"], timeout=10)
    try:
        if config.get("ERP_SMTP_STARTTLS"):
            smtp.starttls()
        if config.get("ERP_SMTP_USER"):
            smtp.login(config["ERP_SMTP_USER"], config.get("ERP_SMTP_PASSWORD") or "")
    except Exception:
        _close(smtp)
        raise
    return smtp


def _close(smtp) -> None:
    if smtp is not None:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def _claim(mail_id: int) -> OutboxMail | None:
    """Count an attempt and hold the message back until its next try is due, committed
    before it is sent: a run that dies while sending it does not send it again at once,
    and another run meanwhile leaves it alone. Returns it detached, or None."""
    found = []

    def write():
        now = utcnow()
        mail = db.session.execute(sa.select(OutboxMail).where(
            OutboxMail.id == mail_id, _due(now)).with_for_update()).scalar()
        if mail is not None:
            mail.attempts += 1
            mail.next_attempt_at = now + retry_wait(mail.attempts)
            db.session.flush()
            db.session.expunge(mail)
        found.append(mail)

    retry_writes(write)
    return found[-1]


def _message(config, mail: OutboxMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = header_value(config["ERP_MAIL_FROM"])
    message["To"] = header_value(mail.to_addr, 254)
    message["Subject"] = header_value(mail.subject)
    message.set_content(mail.body)
    return message


def _mark_sent(mail_id: int) -> None:
    retry_writes(lambda: db.session.execute(sa.update(OutboxMail).where(
        OutboxMail.id == mail_id).values(state="sent", sent_at=utcnow(), next_attempt_at=None)))


def _failed(mail_id: int, error: str) -> None:
    limit = current_app.config["ERP_MAIL_MAX_ATTEMPTS"]
    retry_writes(lambda: db.session.execute(sa.update(OutboxMail).where(
        OutboxMail.id == mail_id).values(
        last_error=error[:2000],
        state=sa.case((OutboxMail.attempts >= limit, "failed"), else_="pending"))))


def retry(ids=None) -> int:
    """Put mail back to be sent at the next run, its attempts counted afresh: the messages
    `ids` (failed or waiting), or every failed one. Returns how many; the caller commits."""
    chosen = OutboxMail.state == "failed" if ids is None else OutboxMail.id.in_(ids)
    result = db.session.execute(sa.update(OutboxMail).where(
        OutboxMail.state != "sent", chosen).values(
        state="pending", attempts=0, next_attempt_at=None)
        .execution_options(synchronize_session=False))
    return result.rowcount

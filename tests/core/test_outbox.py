"""The outbox (core.mail) cannot jam: header values are one line, each message is sent and
marked on its own, a failing one counts attempts, waits longer each time and is given up
in the end while the others go out; a run with failures says so; administrators see and
retry what failed (Settings → Outgoing mail)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.activities.models import Activity
from core.auth.models import User
from core.db import db, utcnow
from core.mail import OutboxMail, deliver_outbox, header_value, queue_mail
from core.scheduler import JobError, JobRun, run_job

from ..smtp import Inbox


def mails(app):
    with app.app_context():
        rows = db.session.execute(sa.select(OutboxMail).order_by(OutboxMail.id)).scalars().all()
        for row in rows:
            db.session.expunge(row)
        return rows


def test_header_values_are_one_line():
    assert header_value("Call\r\nBcc: victim@example.com") == "Call Bcc: victim@example.com"
    assert header_value(" a\tb\x00c\x1bd\u2028e  ") == "a b c d e"
    assert header_value("x" * 300) == "x" * 255
    assert header_value(None) == ""


def test_a_subject_with_line_breaks_is_sent_on_one_line(app):
    """An activity's title with CR/LF once raised on every run, jamming the outbox."""
    with app.app_context():
        clerk = db.session.execute(sa.select(User).where(User.login == "clerk")).scalar()
        clerk.email = "clerk@example.com"
        db.session.add(Activity(subject="Call back\r\nBcc: everyone@example.com",
                                assignee_id=clerk.id, due_at=utcnow() + timedelta(minutes=5)))
        db.session.commit()
        from core.activities.jobs import send_reminders

        assert send_reminders() == "1 reminders"
        db.session.commit()
        # and a row queued before this was fixed, with the line break still in it
        db.session.add(OutboxMail(to_addr="old@example.com", subject="Old\nsubject", body="B"))
        db.session.commit()
    queued = mails(app)
    assert "\n" not in queued[0].subject and "\r" not in queued[0].subject
    assert queued[0].subject.startswith("Reminder: Call back Bcc: everyone@example.com at ")
    with Inbox() as smtp:
        app.config.update(ERP_SMTP_PORT=smtp.port)
        assert run_job(app, "core.deliver_mail") == "done"
    assert sorted(smtp.to()) == ["clerk@example.com", "old@example.com"]
    assert all(m["Bcc"] is None for m in smtp.messages)
    assert {m["Subject"] for m in smtp.messages} == {queued[0].subject, "Old subject"}
    assert [(m.state, m.attempts) for m in mails(app)] == [("sent", 1), ("sent", 1)]


@pytest.fixture
def three(app):
    """Three messages; the server refuses the second's recipient."""
    app.config.update(ERP_MAIL_MAX_ATTEMPTS=3, ERP_MAIL_RETRY_SECONDS=60)
    with app.app_context():
        for name in ("ann", "bad", "cid"):
            queue_mail(f"{name}@example.com", f"Hello {name}", "Body")
        db.session.commit()
    return app


def test_one_refused_message_does_not_hold_up_the_others(three):
    app = three
    with Inbox(refuse={"bad@example.com"}) as smtp:
        app.config.update(ERP_SMTP_PORT=smtp.port)
        assert run_job(app, "core.deliver_mail") == "failed"  # the run says so
        assert smtp.to() == ["ann@example.com", "cid@example.com"]
        ann, bad, cid = mails(app)
        assert (ann.state, ann.attempts, cid.state, cid.attempts) == ("sent", 1, "sent", 1)
        assert (bad.state, bad.attempts, bad.sent_at) == ("pending", 1, None)
        assert "no such mailbox" in bad.last_error
        assert timedelta(seconds=50) < bad.next_attempt_at - utcnow() <= timedelta(seconds=60)
        with app.app_context():
            run = db.session.execute(sa.select(JobRun)).scalar_one()
            assert f"sent 2 of 3; #{bad.id}: SMTPRecipientsRefused" in run.message
        # the next minute: the refused one waits, the sent ones are not sent again
        assert run_job(app, "core.deliver_mail") == "done"
        assert len(smtp.messages) == 2


def test_attempts_count_and_a_message_is_given_up_after_the_limit(three):
    app = three
    with Inbox(refuse={"bad@example.com"}) as smtp:
        app.config.update(ERP_SMTP_PORT=smtp.port)
        waits = []
        for attempt in (1, 2, 3):
            with app.app_context():
                with pytest.raises(JobError):
                    deliver_outbox()
                bad = db.session.execute(sa.select(OutboxMail).where(
                    OutboxMail.to_addr == "bad@example.com")).scalar_one()
                assert bad.attempts == attempt
                waits.append(bad.next_attempt_at - utcnow())
                bad.next_attempt_at = utcnow()  # time passes
                db.session.commit()
        assert waits[0] < waits[1] < waits[2]  # 1, 2, 4 minutes
        assert timedelta(minutes=3) < waits[2] <= timedelta(minutes=4)
        bad = mails(app)[1]
        assert (bad.state, bad.attempts) == ("failed", 3)  # given up
        with app.app_context():
            assert deliver_outbox() == "nothing to send"
        assert smtp.to() == ["ann@example.com", "cid@example.com"]


def test_a_run_that_dies_after_sending_one_does_not_send_it_again(app, monkeypatch):
    import core.mail

    with app.app_context():
        for name in ("ann", "ben", "cid"):
            queue_mail(f"{name}@example.com", f"Hello {name}", "Body")
        db.session.commit()
    real = core.mail._message

    def dies_at_ben(config, mail):
        if mail.to_addr == "ben@example.com":
            raise SystemExit("killed")  # the worker process ends here
        return real(config, mail)

    with Inbox() as smtp:
        app.config.update(ERP_SMTP_PORT=smtp.port)
        monkeypatch.setattr(core.mail, "_message", dies_at_ben)
        with app.app_context(), pytest.raises(SystemExit):
            deliver_outbox()
        ann, ben, cid = mails(app)
        assert ann.state == "sent"  # committed before the next one began
        assert ben.state == "pending" and ben.attempts == 1 and ben.next_attempt_at > utcnow()
        assert cid.attempts == 0
        monkeypatch.setattr(core.mail, "_message", real)
        with app.app_context():
            assert deliver_outbox() == "sent 1 of 1"  # cid; ben waits its turn
        assert smtp.to() == ["ann@example.com", "cid@example.com"]


def test_administrators_see_and_retry_failed_mail(three, admin_client, clerk_client):
    app = three
    assert clerk_client.get("/settings/outbox/").status_code == 403
    with app.app_context():
        bad = db.session.execute(sa.select(OutboxMail).where(
            OutboxMail.to_addr == "bad@example.com")).scalar_one()
        bad.state, bad.attempts, bad.last_error = "failed", 3, "550 no such mailbox"
        db.session.commit()
        bad_id = bad.id
    page = admin_client.get("/settings/outbox/?state=failed").text
    row = page.split(f'data-mail="{bad_id}"')[1].split("</tr>")[0]
    assert "bad@example.com" in row and "550 no such mailbox" in row and ">3<" in row
    assert "Retry all failed" in page
    waiting = admin_client.get("/settings/outbox/").text
    assert "ann@example.com" in waiting and "bad@example.com" not in waiting
    retried = admin_client.post(f"/settings/outbox/{bad_id}/retry", follow_redirects=True)
    assert "will be sent at the next delivery run" in retried.text
    again = mails(app)[1]
    assert (again.state, again.attempts, again.next_attempt_at) == ("pending", 0, None)
    with app.app_context():
        db.session.execute(sa.update(OutboxMail).values(state="failed"))
        db.session.commit()
    admin_client.post("/settings/outbox/retry-failed")
    assert {m.state for m in mails(app)} == {"pending"}
    assert admin_client.post("/settings/outbox/999/retry").status_code == 404

"""Activities, my activities, reminders (once, even with two schedulers), the outbox
delivered to a local SMTP server, in the recipient's language."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import traceback
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.activities.models import Activity
from core.auth.models import User
from core.db import db, utcnow
from core.mail import OutboxMail
from core.notifications import Notification
from core.scheduler import run_job

from ..conftest import FIXTURE_PACKAGES, login, make_app
from ..smtp import Inbox


def user_id(app, login_name):
    with app.app_context():
        return db.session.execute(sa.select(User.id).where(User.login == login_name)).scalar()


def plan(app, **values):
    with app.app_context():
        activity = Activity(**values)
        db.session.add(activity)
        db.session.commit()
        return activity.id


def test_plan_from_a_contact_and_see_it_in_my_activities(app, clerk_client):
    with app.app_context():
        from core.partners.models import Partner

        partner = Partner(name="Công ty Hoa Sen", is_company=True)
        db.session.add(partner)
        db.session.commit()
        pid = partner.id
    form = clerk_client.get(f"/activities/activities/new?partner_id={pid}").text
    assert f'<option selected value="{pid}">' in form  # the contact is filled in
    clerk = user_id(app, "clerk")
    due = (utcnow() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    saved = clerk_client.post("/activities/activities/new", data={
        "subject": "Gọi lại về báo giá", "kind": "call", "state": "planned",
        "partner_id": pid, "assignee_id": clerk, "due_at": due, "remind_minutes": 15})
    assert saved.status_code == 302
    plan(app, subject="Overdue follow-up", kind="task", assignee_id=clerk,
         due_at=utcnow() - timedelta(days=1))
    mine = clerk_client.get("/activities/mine").text
    assert "Overdue follow-up" in mine.split("bucket-overdue")[1].split("bucket-today")[0]
    assert "Gọi lại về báo giá" in mine.split("bucket-overdue")[1]
    assert "Gọi lại về báo giá" in clerk_client.get(f"/contacts/partners/{pid}").text
    home = clerk_client.get("/").text
    assert '<div class="fs-3 fw-semibold text-danger widget-overdue">1</div>' in home


def test_activities_follow_team_rules(app, admin_client):
    admin = user_id(app, "admin")
    plan(app, subject="Admin's private call", assignee_id=admin, due_at=utcnow())
    clerk = login(app.test_client(), "clerk")
    listing = clerk.get("/activities/activities").text
    assert "private call" not in listing
    assert "private call" in admin_client.get("/activities/activities").text


def test_reminders_once_in_the_users_language_by_inbox_and_email(app):
    with app.app_context():
        clerk = db.session.execute(sa.select(User).where(User.login == "clerk")).scalar()
        clerk.lang, clerk.tz, clerk.email = "vi", "Asia/Ho_Chi_Minh", "clerk@example.com"
        db.session.commit()
    soon = plan(app, subject="Họp với khách hàng", assignee_id=user_id(app, "clerk"),
                due_at=utcnow() + timedelta(minutes=10), remind_minutes=15)
    later = plan(app, subject="Next month", assignee_id=user_id(app, "clerk"),
                 due_at=utcnow() + timedelta(days=30))
    with app.app_context():
        import core.activities.jobs as jobs

        assert jobs.send_reminders() == "1 reminders"
        db.session.commit()
        assert jobs.send_reminders() == "0 reminders"  # sent once
        db.session.commit()
        note = db.session.execute(sa.select(Notification)).scalar_one()
        assert note.subject.startswith("Nhắc việc: Họp với khách hàng lúc ")  # Vietnamese
        mail = db.session.execute(sa.select(OutboxMail)).scalar_one()
        assert mail.subject == note.subject and mail.to_addr == "clerk@example.com"
        assert db.session.get(Activity, later).reminded_at is None
        assert db.session.get(Activity, soon).reminded_at is not None
    with Inbox() as smtp:
        app.config.update(ERP_SMTP_HOST="127.0.0.1", ERP_SMTP_PORT=smtp.port)
        assert run_job(app, "core.deliver_mail") == "done"
        assert len(smtp.messages) == 1
        assert smtp.to() == ["clerk@example.com"]
        assert run_job(app, "core.deliver_mail") == "done"
        assert len(smtp.messages) == 1  # delivered once
    with app.app_context():
        mail = db.session.execute(sa.select(OutboxMail)).scalar_one()
        assert mail.sent_at is not None and mail.attempts == 1
        received = smtp.messages[0]
        assert received["Subject"] == mail.subject
        assert "Bạn có một hoạt động" in received.get_content()


def test_an_unreachable_mail_server_keeps_the_mail_for_later(app):
    """The run fails and says why; the mail waits, its attempts untouched (the server's
    fault is not the message's: it is never given up for it)."""
    from core.scheduler import JobError

    with app.app_context():
        from core.mail import deliver_outbox, queue_mail

        queue_mail("x@example.com", "Hello", "Body", key="k1")
        queue_mail("x@example.com", "Hello", "Body", key="k1")  # once per key
        db.session.commit()
        app.config.update(ERP_SMTP_HOST="127.0.0.1", ERP_SMTP_PORT=1)
        with pytest.raises(JobError, match="unreachable"):
            deliver_outbox()
        mail = db.session.execute(sa.select(OutboxMail)).scalar_one()
        assert mail.sent_at is None and mail.state == "pending" and mail.attempts == 0
    assert run_job(app, "core.deliver_mail") == "failed"
    with app.app_context():
        from core.scheduler import JobRun

        run = db.session.execute(sa.select(JobRun)).scalar_one()
        assert run.status == "failed" and "unreachable" in run.message


def test_two_schedulers_send_a_reminder_once(db_url):
    """Two scheduler processes (two apps on one database) fire the same minute at once."""
    from ..conftest import init_db

    first = make_app(db_url)
    init_db(first)
    second = make_app(db_url)
    clerk = user_id(first, "clerk")
    plan(first, subject="Race", assignee_id=clerk, due_at=utcnow() + timedelta(minutes=5))
    firing = utcnow().replace(second=0, microsecond=0)
    results, errors = [], []

    def fire(a):
        try:
            results.append(run_job(a, "core.activity_reminders", firing))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(traceback.format_exc() or repr(exc))

    threads = [threading.Thread(target=fire, args=(a,)) for a in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == ["claimed", "done"]
    with first.app_context():
        assert db.session.execute(sa.select(sa.func.count(Notification.id))).scalar() == 1
    for a in (first, second):
        with a.app_context():
            db.engine.dispose()


def test_two_scheduler_processes_send_a_reminder_once(db_url, tmp_path):
    """The same, as two real OS processes (`scheduler run --job --at`) started together."""
    from ..conftest import init_db

    app = make_app(db_url)
    init_db(app)
    plan(app, subject="Race", assignee_id=user_id(app, "clerk"),
         due_at=utcnow() + timedelta(minutes=5))
    with app.app_context():
        db.engine.dispose()
    firing = utcnow().strftime("%Y-%m-%dT%H:%M")
    env = dict(os.environ, ERP_DATABASE_URL=db_url, ERP_SECRET_KEY="test",
               ERP_MODULE_PACKAGES=",".join(FIXTURE_PACKAGES))
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run",
               "--job", "core.activity_reminders", "--at", firing]
    root = Path(__file__).resolve().parents[2]
    processes = [subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    said = sorted(out.strip().rsplit(" ", 1)[-1] for out, _err in outputs)
    assert said == ["claimed", "done"], outputs
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Notification.id))).scalar() == 1
        db.engine.dispose()


@pytest.mark.parametrize("state, status", [("planned", 200), ("done", 409)])
def test_api_activity_done_action(app, state, status):
    from .test_api import Api, token_for

    api = Api(app.test_client(), token_for(app, "admin"))
    created = api("POST", "activity", {"subject": "Call", "state": state}).get_json()
    response = api("POST", f"activity/{created['id']}/done", {"outcome": "Interested"})
    assert response.status_code == status
    if status == 200:
        assert response.get_json()["state"] == "done"
        assert response.get_json()["outcome"] == "Interested"


def test_a_teams_calendar_shows_its_members_appointments(app, admin_client):
    from core.auth.models import Team

    from ..conftest import add_user

    with app.app_context():
        team = Team(name="Hanoi sales")
        team.members = [db.session.get(User, user_id(app, "clerk"))]
        other = add_user("outsider")
        db.session.add(team)
        db.session.commit()
        team_id, other_id = team.id, other.id
    when = utcnow().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=1)
    plan(app, subject="Visit Minh Long", assignee_id=user_id(app, "clerk"), due_at=when)
    plan(app, subject="Someone else's call", assignee_id=other_id, due_at=when)
    day = when.date().isoformat()
    page = admin_client.get(f"/activities/activities/calendar?mode=week&day={day}"
                            f"&f.team={team_id}").text
    assert "Visit Minh Long" in page and "Someone else" not in page
    assert "· Clerk" in page  # whose appointment it is
    assert "Hanoi sales" in page  # the team filter is offered
    everyone = admin_client.get(f"/activities/activities/calendar?mode=week&day={day}").text
    assert "Visit Minh Long" in everyone and "Someone else" in everyone

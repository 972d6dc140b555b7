"""What a new user meets on the first sign-in to the demo (issue 15)."""
from __future__ import annotations

import sqlalchemy as sa

from core.db import db, utcnow

from ..conftest import acting


def test_favicon_ico_leads_to_the_icon(app):
    client = app.test_client()
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert client.get(response.headers["Location"]).status_code == 200


def test_the_demo_has_a_company_address_and_activities(app):
    from core import demo
    from core.activities.models import Activity
    from core.activities.views import my_buckets
    from core.auth.models import User
    from core.modules import get_registry, lifecycle
    from core.settings import company

    with app.app_context():
        lifecycle.enable(get_registry(), ["sales"])
        demo.load_all(get_registry())
        assert company()["address"] and company()["name"]
        users = dict(db.session.execute(sa.select(User.login, User.id)).all())
    for login in ("admin", "demo", "demo_zh"):
        with acting(app, login):
            buckets = my_buckets(users[login])
            assert buckets["overdue"] and buckets["today"] and buckets["planned"], login
            assert any(a.due_at > utcnow() for a in buckets["planned"])
    with app.app_context():
        on_leads = db.session.execute(sa.select(sa.func.count()).select_from(Activity).where(
            Activity.res_model == "sale.lead")).scalar()
        on_contacts = db.session.execute(sa.select(sa.func.count()).select_from(Activity).where(
            Activity.partner_id.is_not(None))).scalar()
        assert on_leads and on_contacts
    # the salespeople's calendars show their own office hours, not 3 a.m. (UTC's morning)
    from zoneinfo import ZoneInfo

    with app.app_context():
        for login, zone in demo.DEMO_ZONES.items():
            user = db.session.get(User, users[login])
            assert user.tz == zone
            due = db.session.execute(sa.select(Activity.due_at).where(
                Activity.assignee_id == user.id, Activity.state == "planned")).scalars().all()
            hours = {d.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(zone)).hour
                     for d in due}
            assert due and hours <= set(range(8, 24)), (login, hours)  # later_today: to 24

"""The calendar's week (issue 15): an hour grid in the user's time zone with items placed by
start and length, side by side when they overlap; an empty slot opens a New form with its
date and time; an item is dragged to another slot (reschedule), one of two racing moves wins."""
from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa

from core.activities.models import Activity
from core.auth.models import User
from core.db import db
from core.modules import get_registry, lifecycle

from ..conftest import add_user, login
from ..races import together

CAL = "/activities/activities/calendar"


def set_tz(app, login_name, tz):
    with app.app_context():
        db.session.execute(sa.update(User).where(User.login == login_name).values(tz=tz))
        db.session.commit()


def plan(app, **values):
    with app.app_context():
        activity = Activity(**values)
        db.session.add(activity)
        db.session.commit()
        return activity.id


def item(page, activity_id):
    return re.search(rf'<a class="calendar-item calendar-event"[^>]*data-id="{activity_id}"'
                     r'[^>]*>', page).group(0)


def test_week_is_an_hour_grid_in_the_users_time_zone(app, admin_client):
    set_tz(app, "admin", "Asia/Ho_Chi_Minh")  # UTC+7
    # 02:00 UTC is 09:00 in Hanoi; the two overlap, the third does not
    first = plan(app, subject="Call Minh", due_at=datetime(2026, 11, 18, 2, 0),
                 duration_minutes=90)
    second = plan(app, subject="Visit Long", due_at=datetime(2026, 11, 18, 2, 30))
    late = plan(app, subject="Late call", due_at=datetime(2026, 11, 18, 16, 30))  # 23:30, 18th
    page = admin_client.get(f"{CAL}?mode=week&day=2026-11-18").text
    assert page.count('class="calendar-hour-label"') == 24
    assert 'min-height: 20rem' not in page and 'calendar-row calendar-head' not in page
    column = page.split('class="calendar-column" data-day="2026-11-18"')[1].split(
        'data-day=')[0]
    assert "Call Minh" in column and "Visit Long" in column and "Late call" in column
    assert 'data-start="540" data-length="90" data-lane="0" data-lanes="2"' in item(page, first)
    assert 'data-start="570" data-length="60" data-lane="1" data-lanes="2"' in item(page, second)
    assert 'data-start="1410"' in item(page, late) and 'data-lanes="1"' in item(page, late)
    assert "js/calendar.js" in page and "style=" not in column


def test_today_is_highlighted_and_month_still_works(app, admin_client):
    week = admin_client.get(f"{CAL}?mode=week").text
    assert 'class="calendar-column today"' in week
    month = admin_client.get(f"{CAL}?day=2026-11-15").text
    assert 'class="calendar-row calendar-head"' in month


def test_an_empty_slot_opens_the_new_form_with_its_date_and_time(app, admin_client):
    week = admin_client.get(f"{CAL}?mode=week&day=2026-11-18").text
    assert 'href="/activities/activities/new?due_at=2026-11-18T14:00"' in week
    form = admin_client.get("/activities/activities/new?due_at=2026-11-18T14:00").text
    assert 'value="2026-11-18T14:00"' in form
    month = admin_client.get(f"{CAL}?day=2026-11-15").text
    assert 'data-new="/activities/activities/new?due_at=2026-11-18"' in month
    # a value that is not a date is not shown: the form's default is
    bad = admin_client.get("/activities/activities/new?due_at=2026-13-45T99:00").text
    assert "2026-13-45" not in bad


def move(client, activity_id, start, expected):
    return client.post(f"/activities/activities/{activity_id}/reschedule",
                       data={"start": start, "expected": expected},
                       headers={"X-Requested-With": "fetch"})


def test_reschedule_moves_in_the_users_time_and_refuses_bad_input(app, admin_client):
    set_tz(app, "admin", "Asia/Ho_Chi_Minh")
    when = datetime(2026, 11, 18, 2, 0)
    moved_id = plan(app, subject="Call Minh", due_at=when)
    response = move(admin_client, moved_id, "2026-11-19T15:15", when.isoformat())
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Activity, moved_id).due_at == datetime(2026, 11, 19, 8, 15)
    # a day alone keeps the local time of day (a month view's drop)
    response = move(admin_client, moved_id, "2026-11-21", "2026-11-19T08:15:00")
    assert response.get_json()["value"] == "2026-11-21T08:15:00"
    for bad in ("tomorrow", "2026-02-30", "12026-01-01", ""):
        response = move(admin_client, moved_id, bad, "2026-11-21T08:15:00")
        assert response.status_code == 422 and "error" in response.get_json()
    stale = move(admin_client, moved_id, "2026-11-22T10:00", when.isoformat())
    assert stale.status_code == 409 and "error" in stale.get_json()


def test_reschedule_refuses_a_record_out_of_reach(app, admin_client):
    with app.app_context():
        stranger = add_user("stranger").id
        db.session.commit()
    private = plan(app, subject="Private call", due_at=datetime(2026, 11, 18, 2, 0),
                   assignee_id=stranger)
    clerk = login(app.test_client(), "clerk")
    response = move(clerk, private, "2026-11-19T10:00", "2026-11-18T02:00:00")
    assert 400 <= response.status_code < 500 and "error" in response.get_json()
    with app.app_context():
        assert db.session.get(Activity, private).due_at == datetime(2026, 11, 18, 2, 0)


def test_two_racing_moves_one_wins(app):
    when = datetime(2026, 11, 18, 2, 0)
    moved_id = plan(app, subject="Call Minh", due_at=when)

    def mover(start):
        return (lambda: login(app.test_client()),
                lambda client: move(client, moved_id, start, when.isoformat()).status_code)

    statuses = together(mover("2026-11-19T10:00"), mover("2026-11-20T10:00"))
    assert sorted(statuses) == [200, 409]


def test_the_form_shows_and_reads_datetimes_in_the_users_time_zone(app, admin_client):
    """A slot's 14:00 in Hanoi is saved as 07:00 UTC and shows on the grid at 14:00."""
    set_tz(app, "admin", "Asia/Ho_Chi_Minh")
    form = admin_client.get("/activities/activities/new?due_at=2026-11-18T14:00").text
    assert 'value="2026-11-18T14:00"' in form
    saved = admin_client.post("/activities/activities/new", data={
        "subject": "Slot call", "kind": "call", "state": "planned",
        "due_at": "2026-11-18T14:00"})
    assert saved.status_code == 302
    with app.app_context():
        activity = db.session.execute(sa.select(Activity).where(
            Activity.subject == "Slot call")).scalar_one()
        assert activity.due_at == datetime(2026, 11, 18, 7, 0)
    page = admin_client.get(saved.headers["Location"]).text
    assert 'value="2026-11-18T14:00"' in page
    week = admin_client.get(f"{CAL}?mode=week&day=2026-11-18").text
    assert 'data-start="840"' in item(week, activity.id)


def test_a_date_calendars_week_is_an_all_day_row(app, admin_client):
    from tests.fixture_modules.fx_library.models import Book

    from .test_generic_views import SHELF

    with app.app_context():
        lifecycle.enable(get_registry(), ["fx_library"])
        book = Book(title="Codex", author="Ann", status="reading",
                    published_on=datetime(2026, 11, 20).date())
        db.session.add(book)
        db.session.commit()
        book_id = book.id
    week = admin_client.get(f"{SHELF}/calendar?mode=week&day=2026-11-20").text
    assert "calendar-hour-label" not in week
    day = week.split('class="calendar-day-head" data-day="2026-11-20"')[1].split("data-day=")[0]
    assert "Codex" in day and f'data-new="{SHELF}/new?published_on=2026-11-20"' in week
    moved = admin_client.post(f"{SHELF}/{book_id}/reschedule", headers={
        "X-Requested-With": "fetch"}, data={"start": "2026-11-18", "expected": "2026-11-20"})
    assert moved.get_json() == {"id": book_id, "value": "2026-11-18"}

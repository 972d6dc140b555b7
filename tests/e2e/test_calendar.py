"""The calendar's week in the browser (issue 15): items sit on the hour grid at their local
time, dragging one to another day and hour reschedules it, clicking an empty slot opens the
New form with that date and time; no console error, no CSP violation."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from core.activities.models import Activity
from core.auth.models import User
from core.db import db

from .conftest import screenshot, sign_in

pytestmark = pytest.mark.e2e
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def utc_of(local: datetime) -> datetime:
    return local.replace(tzinfo=HANOI).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def test_drag_an_item_and_click_an_empty_slot(page, live_app):
    today = datetime.now(HANOI).date()
    other = today + timedelta(days=1 if today.weekday() < 6 else -1)  # in the same week
    with live_app.app_context():
        db.session.execute(sa.update(User).where(User.login == "admin").values(
            tz="Asia/Ho_Chi_Minh"))
        activity = Activity(subject="Visit Hoa Sen", kind="meeting", duration_minutes=60,
                            due_at=utc_of(datetime.combine(today, time(10))))
        db.session.add(activity)
        db.session.commit()
        activity_id = activity.id
    page.set_viewport_size({"width": 1366, "height": 1400})
    sign_in(page)
    page.goto(page.base_url + f"/activities/activities/calendar?mode=week&day={today}")
    item = page.locator(f'.calendar-event[data-id="{activity_id}"]')
    column = page.locator(f'.calendar-column[data-day="{today}"]')
    item_box, column_box = item.bounding_box(), column.bounding_box()
    hour = column_box["height"] / 24
    assert abs(item_box["y"] - column_box["y"] - 10 * hour) < 3  # 10:00, local time
    assert abs(item_box["height"] - hour) < 3  # an hour long
    screenshot(page, "calendar-week")

    target = page.locator(f'.calendar-column[data-day="{other}"]')
    with page.expect_response(lambda r: "/reschedule" in r.url) as moved:
        item.drag_to(target, source_position={"x": 10, "y": 5},
                     target_position={"x": 10, "y": 14 * hour + 2})
    assert moved.value.status == 200
    with live_app.app_context():
        assert db.session.get(Activity, activity_id).due_at == utc_of(
            datetime.combine(other, time(14)))

    page.wait_for_selector(f'.calendar-column[data-day="{other}"] .calendar-event')
    page.locator(f'.calendar-column[data-day="{today}"] .calendar-slot[data-hour="16"]').click()
    page.wait_for_url("**/activities/activities/new?due_at=*")
    assert page.input_value('input[name="due_at"]') == f"{today}T16:00"


def test_a_week_on_a_phone_is_a_list_of_days(browser, live_app):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    today = datetime.now(HANOI).date()
    with live_app.app_context():
        db.session.execute(sa.update(User).where(User.login == "admin").values(
            tz="Asia/Ho_Chi_Minh"))
        db.session.add(Activity(subject="Gọi lại về báo giá", kind="call",
                                due_at=utc_of(datetime.combine(today, time(9)))))
        db.session.commit()
    page.base_url = live_app.config["LIVE_URL"]
    sign_in(page)
    page.goto(page.base_url + f"/activities/activities/calendar?mode=week&day={today}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator(".calendar-hours").is_hidden()
    assert page.locator(".calendar-event").first.is_visible()
    assert "09:00" in page.locator(f'.calendar-column[data-day="{today}"]').inner_text()
    screenshot(page, "calendar-week-phone")
    context.close()
    assert not errors, errors

"""Every value a page shows is in the reader's locale and time zone (issue 15): one formatter
(core.ui.formats.shown) by the column's type, used by lists, group totals, boards,
calendars, reports and the timeline; CSV exports stay raw."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import force_locale

from core.activities.models import Activity
from core.auth.models import User
from core.db import db
from core.documents import Money, Percent, Quantity
from core.taxes.models import Tax
from core.ui.formats import shown

# 02:33 UTC is 09:33 in Hồ Chí Minh City (UTC+7)
DUE = datetime(2026, 12, 2, 2, 33, 17, 546161)


def _as(app, login_name, lang="vi", tz="Asia/Ho_Chi_Minh"):
    with app.app_context():
        db.session.execute(sa.update(User).where(User.login == login_name)
                           .values(lang=lang, tz=tz))
        db.session.commit()


def test_shown_by_the_columns_type(app):
    with app.test_request_context(), force_locale("vi"):
        app.config["ERP_DEFAULT_TIMEZONE"] = "Asia/Ho_Chi_Minh"
        assert shown(Money, Decimal("1234.5")) == "1.234,50\xa0US$"
        assert shown(Percent, Decimal("30.00")) == "30%"
        assert shown(Percent, "12.5") == "12,5%"  # as the timeline keeps it (JSON text)
        assert shown(Quantity, Decimal("1500.250")) == "1.500,25"
        assert shown(sa.Date(), date(2026, 12, 2)) == "2 thg 12, 2026"
        assert shown(sa.DateTime(), DUE).startswith("09:33")
        assert shown(sa.DateTime(), DUE.isoformat()).startswith("09:33")
        assert shown(Activity.__table__.c.duration_minutes, 1500) == "1.500"  # a quantity
        assert shown(Activity.__table__.c.id, 1500) == "1500"  # a key is not grouped
        assert shown(Tax.__table__.c.sequence, 1500) == "1500"
        assert shown(sa.String(), "2026-12-02") == "2026-12-02"  # text stays text
        assert shown(None, None) == ""


def test_tax_list_shows_rates_as_percentages(app, admin_client):
    _as(app, "admin")
    with app.app_context():
        db.session.add(Tax(name="VAT 12.5", rate=Decimal("12.5")))
        db.session.commit()
    page = admin_client.get("/settings/taxes").text
    assert "12,5%" in page
    assert "12.50" not in page


def test_activity_times_in_the_users_time_zone(app, clerk_client):
    _as(app, "clerk")
    with app.app_context():
        clerk = db.session.execute(sa.select(User).where(User.login == "clerk")).scalar_one()
        db.session.add(Activity(subject="Call Hoa Sen", assignee_id=clerk.id, due_at=DUE))
        db.session.commit()
    listed = clerk_client.get("/activities/activities").text
    assert "2026-12-02 02:33" not in listed
    assert "09:33 2/12/26" in listed  # the user's hour, the Vietnamese order of day and month
    board = clerk_client.get("/activities/activities/board").text
    assert "2026-12-02 02:33" not in board
    assert "09:33 2/12/26" in board
    calendar = clerk_client.get("/activities/activities/calendar?day=2026-12-02").text
    assert '>09:33</span>' in calendar


def test_csv_export_stays_raw(app, admin_client):
    _as(app, "admin")
    with app.app_context():
        db.session.add(Tax(name="VAT 12.5", rate=Decimal("12.5")))
        db.session.commit()
    exported = admin_client.get("/settings/taxes/export.csv").text
    assert "12.50" in exported and "12,5%" not in exported


def test_an_attachments_size_in_the_readers_numbers(app, admin_client):
    import io

    from core.partners.models import Partner

    _as(app, "admin")
    with app.app_context():
        partner = Partner(name="Hoa Sen")
        db.session.add(partner)
        db.session.commit()
        partner_id = partner.id
    admin_client.post(f"/timeline/partner/{partner_id}/attachment",
                      data={"file": (io.BytesIO(b"x" * 12800), "quote.txt")})
    page = admin_client.get(f"/contacts/partners/{partner_id}").text
    assert "12,5 KB" in page and "12.5 KB" not in page

"""Numbers, money and dates follow the viewer's locale and time zone."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask import render_template_string
from flask_babel import force_locale

TEMPLATE = ("{{ n|decimalformat }}|{{ m|money('VND') }}|{{ m|money }}|"
            "{{ t|datetimeformat('short') }}")


def render(app, locale, tz="UTC"):
    with app.test_request_context():
        app.config["ERP_DEFAULT_TIMEZONE"] = tz
        with force_locale(locale):
            return render_template_string(TEMPLATE, n=Decimal("1234.5"), m=Decimal("1234.5"),
                                          t=datetime(2026, 11, 23, 1, 30))


def test_each_locale_formats_its_own_way(app):
    en, vi, zh = render(app, "en"), render(app, "vi"), render(app, "zh_CN")
    assert en.startswith("1,234.5|")
    assert vi.startswith("1.234,5|")
    assert "₫" in vi and "$" in en
    assert zh.startswith("1,234.5|") and "2026" in zh
    assert len({en, vi, zh}) == 3


def test_times_show_in_the_viewers_time_zone(app):
    assert "8:30" in render(app, "en", "Asia/Ho_Chi_Minh").split("|")[-1]
    assert "1:30" in render(app, "en", "UTC").split("|")[-1]


def test_a_request_keeps_its_catalog_and_force_locale_still_switches_it(app):
    from flask_babel import gettext

    with app.test_request_context(headers={"Accept-Language": "vi"}):
        assert gettext("Yes") == "Có"
        with force_locale("zh_CN"):  # an email in its reader's language, mid-request
            assert gettext("Yes") == "是"
        with force_locale("en"):
            assert gettext("Yes") == "Yes"
        assert gettext("Yes") == "Có"  # the request's own again

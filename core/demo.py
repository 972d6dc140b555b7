"""Demo data: the demo users, then each enabled module's `demo.py` (`load()`), each once."""
from __future__ import annotations

import importlib
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from core.auth.models import ADMIN_GROUP, User
from core.db import db, utcnow
from core.modules.models import StateCounter
from core.settings import get_setting, set_setting

DEMO_USERS = [
    # login, password, name, language, groups
    ("admin", "admin", "Administrator", "en", {ADMIN_GROUP, "core.user"}),
    ("demo", "demo", "Nguyễn Thị Lan", "vi", {"core.user"}),
    ("demo_zh", "demo", "王伟", "zh_CN", {"core.user"}),
]
# where the demo's salespeople work: their calendars show their own office hours
DEMO_ZONES = {"demo": "Asia/Ho_Chi_Minh", "demo_zh": "Asia/Shanghai"}


# Companies and their people, as a Vietnamese, Chinese and international business meets them.
DEMO_COMPANIES = [
    # name, city, country, kind, industry, source, email, phone, people
    ("Công ty TNHH Hoa Sen", "Hà Nội", "VN", "customer", "Bán lẻ", "Hội chợ", "info@hoasen.vn",
     "+84 24 3825 1234", [("Nguyễn Thị Mai", "mai@hoasen.vn"), ("Lê Văn Hùng", "hung@hoasen.vn")]),
    ("Cà phê Sài Gòn Xanh", "TP. Hồ Chí Minh", "VN", "prospect", "Thực phẩm", "Website",
     "hello@saigonxanh.vn", "+84 28 3930 5678", [("Trần Minh Khoa", "khoa@saigonxanh.vn")]),
    ("Đà Nẵng Logistics JSC", "Đà Nẵng", "VN", "supplier", "Vận tải", "Giới thiệu",
     "contact@dnlogistics.vn", "+84 236 382 2222", [("Phạm Quốc Bảo", "bao@dnlogistics.vn")]),
    ("上海明珠贸易有限公司", "上海", "CN", "customer", "贸易", "展会", "sales@mingzhu.cn",
     "+86 21 6288 8888", [("王伟", "wang.wei@mingzhu.cn"), ("李娜", "li.na@mingzhu.cn")]),
    ("深圳华创科技有限公司", "深圳", "CN", "prospect", "电子", "网站", "info@huachuang.cn",
     "+86 755 8866 1234", [("陈静", "chen.jing@huachuang.cn")]),
    ("Blue River Trading Ltd", "Singapore", "SG", "customer", "Wholesale", "Referral",
     "orders@blueriver.sg", "+65 6123 4567", [("Anna Tan", "anna@blueriver.sg")]),
    ("Northwind Office Supplies", "London", "GB", "supplier", "Office supplies", "Cold call",
     "accounts@northwind.co.uk", "+44 20 7946 0000", [("James Brown", "james@northwind.co.uk")]),
]


# the company the documents are printed for (Settings → Company): seller block and letterhead
DEMO_COMPANY = {
    "company_name": "Công ty TNHH Giải pháp Sen Vàng",
    "company_address": "Tầng 5, 12 Nguyễn Huệ, Phường Bến Nghé, Quận 1\n"
                       "TP. Hồ Chí Minh 700000, Việt Nam",
    "company_tax_id": "0312345678",
    "company_phone": "+84 28 3822 6688",
    "company_email": "hello@senvang.vn",
}

# each demo user's first activities: one overdue, one today, one next week (days from
# now; None: later today), on a contact they look after, in the user's language
DEMO_ACTIVITIES = {
    "en": [("Call back about the maintenance contract", "call", -2),
           ("Send the price list", "email", None),
           ("Quarterly review meeting", "meeting", 7)],
    "vi": [("Gọi lại về đơn hàng cà phê", "call", -1),
           ("Gửi báo giá máy pha", "email", None),
           ("Gặp khách tại văn phòng", "meeting", 6)],
    "zh_CN": [("回电确认报价", "call", -3),
              ("发送产品目录", "email", None),
              ("拜访客户", "meeting", 8)],
}


def _zone(user) -> ZoneInfo:
    return ZoneInfo(user.tz or current_app.config.get("ERP_DEFAULT_TIMEZONE") or "UTC")


def office_hour(user, days: int, hour: int, minute: int = 0):
    """`hour`:`minute` in the user's time zone, `days` from today: naive UTC, as stored."""
    zone = _zone(user)
    day = utcnow().replace(tzinfo=ZoneInfo("UTC")).astimezone(zone) + timedelta(days=days)
    local = day.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def later_today(user) -> object:
    """A time (naive UTC) between now and the end of the user's day, in their time zone."""
    zone = _zone(user)
    now = utcnow()
    local = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
    end = (local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1))
    end_utc = end.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    return now + (end_utc - now) / 2


def _load_activities() -> int:
    """Planned activities for each demo user, so that "My activities" and the calendar
    show something on the first sign-in."""
    from core.activities.models import Activity
    from core.partners.models import Partner

    count = 0
    for login, _password, _name, lang, _groups in DEMO_USERS:
        user = db.session.execute(sa.select(User).where(User.login == login)).scalar_one()
        contacts = db.session.execute(sa.select(Partner.id).where(
            Partner.salesperson_id == user.id).order_by(Partner.id)).scalars().all()
        for i, (subject, kind, days) in enumerate(DEMO_ACTIVITIES[lang]):
            due = later_today(user) if days is None else office_hour(user, days, 9 + 2 * i)
            db.session.add(Activity(
                subject=subject, kind=kind, assignee_id=user.id, due_at=due,
                duration_minutes=60 if kind == "meeting" else 15, created_by_id=user.id,
                partner_id=contacts[i % len(contacts)] if contacts else None))
            count += 1
    return count


DEMO_TAGS = [("VIP", "warning"), ("Hội chợ 2026", "info"), ("长期客户", "success")]
DEMO_TAGGED = {"Công ty TNHH Hoa Sen": ("VIP", "Hội chợ 2026"),
               "上海明珠贸易有限公司": ("长期客户",), "Blue River Trading Ltd": ("VIP",)}


def _load_partners() -> int:
    from core.partners.models import Partner, PartnerTag

    users = dict(db.session.execute(sa.select(User.login, User.id)).all())
    # each demo salesperson looks after the customers of their own country and language
    holder = {"VN": users.get("demo"), "CN": users.get("demo_zh")}
    tags = {name: PartnerTag(name=name, color=color) for name, color in DEMO_TAGS}
    db.session.add_all(tags.values())
    count = 0
    for (name, city, country, kind, industry, source, email, phone,
         people) in DEMO_COMPANIES:
        company = Partner(name=name, is_company=True, city=city, country=country, kind=kind,
                          industry=industry, source=source, email=email, phone=phone,
                          salesperson_id=holder.get(country) or users.get("admin"),
                          tags=[tags[t] for t in DEMO_TAGGED.get(name, ())])
        db.session.add(company)
        db.session.flush()
        for person, person_email in people:
            db.session.add(Partner(name=person, parent_id=company.id, email=person_email,
                                   city=city, country=country, kind=kind))
        count += 1 + len(people)
    return count


def load_all(registry) -> list[str]:
    registry.sync()
    done = []
    if _claim("demo:core"):
        for login, password, name, lang, groups in DEMO_USERS:
            if db.session.execute(sa.select(User.id).where(User.login == login)).first():
                continue
            user = User(login=login, name=name, lang=lang, tz=DEMO_ZONES.get(login))
            user.set_password(password)
            user.set_groups(groups)
            db.session.add(user)
        partners = _load_partners()
        for key, value in DEMO_COMPANY.items():
            if not get_setting(key):
                set_setting(key, value)
        db.session.flush()
        activities = _load_activities()
        db.session.commit()
        done.append("demo users: " + ", ".join(f"{u[0]}/{u[1]}" for u in DEMO_USERS))
        done.append(f"demo contacts: {partners}")
        done.append(f"demo activities: {activities}")
    for name in registry.order(registry.enabled):
        manifest = registry.manifests[name]
        if not (manifest.path / "demo.py").is_file() or not _claim(f"demo:{name}"):
            continue
        importlib.import_module(f"{manifest.package}.demo").load()
        db.session.commit()
        done.append(f"demo data: {name}")
    return done


def _claim(key: str) -> bool:
    """Mark a demo set as loaded; False when it was loaded before."""
    if db.session.get(StateCounter, key) is not None:
        return False
    db.session.add(StateCounter(key=key, value=1))
    db.session.flush()
    return True

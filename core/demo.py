"""Demo data: the demo users, then each enabled module's `demo.py` (`load()`), each once."""
from __future__ import annotations

import importlib

import sqlalchemy as sa

from core.auth.models import ADMIN_GROUP, User
from core.db import db
from core.modules.models import StateCounter

DEMO_USERS = [
    # login, password, name, language, groups
    ("admin", "admin", "Administrator", "en", {ADMIN_GROUP, "core.user"}),
    ("demo", "demo", "Nguyễn Thị Lan", "vi", {"core.user"}),
    ("demo_zh", "demo", "王伟", "zh_CN", {"core.user"}),
]


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
            user = User(login=login, name=name, lang=lang)
            user.set_password(password)
            user.set_groups(groups)
            db.session.add(user)
        partners = _load_partners()
        db.session.commit()
        done.append("demo users: " + ", ".join(f"{u[0]}/{u[1]}" for u in DEMO_USERS))
        done.append(f"demo contacts: {partners}")
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

"""Demo data: products, a campaign, leads in the pool and held, a pipeline, and quotations
and orders for the demo contacts — in Vietnamese, Chinese and English."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from core.activities.models import Activity
from core.auth.models import Team, User
from core.db import db, utcnow
from core.demo import office_hour
from core.partners.models import Partner

from . import services
from .models import Campaign, Lead, LeadSource, Pricelist, PricelistItem, Product, Stage

PRODUCTS = [
    # name, code, category, unit, price, cost, tax
    ("Cà phê rang xay 1kg", "CF-1KG", "Cà phê", "kg", "12.80", "7.60", "8"),
    ("Máy pha cà phê Espresso", "MC-ESP", "Thiết bị", "unit", "620", "440", "10"),
    ("Trà ô long 500g", "TEA-500", "Trà", "box", "7.20", "3.80", "8"),
    ("办公椅 人体工学", "CH-ERGO", "家具", "unit", "170", "100", "13"),
    ("Installation and training", "SRV-INST", "Services", "hour", "45", "20", "10"),
    ("Annual maintenance plan", "SRV-MAINT", "Services", "month", "120", "40", "10"),
]
LEADS = [
    # subject, contact, company, email, source, held by (login or None = pool), type
    ("Coffee machines for 12 branches", "Đỗ Thu Hà", "Chuỗi cà phê Phố Cổ",
     "ha@phoco.vn", "Trade fair", "demo", "lead"),
    ("Office chairs, new floor", "赵磊", "杭州云帆网络", "zhao.lei@yunfan.cn", "Website",
     "demo_zh", "lead"),
    ("Tea gift boxes for Tết", "Vũ Minh Anh", "Công ty Quà Tặng Việt", "anh@quatang.vn",
     "Email campaign", None, "lead"),
    ("Maintenance contract enquiry", "Peter Lim", "Lim & Co", "peter@limco.sg", "Referral",
     None, "lead"),
    ("展会咨询：咖啡设备", "孙丽", "广州悦享餐饮", "sun.li@yuexiang.cn", "Trade fair", None,
     "lead"),
]
DEALS = [
    # subject, customer, stage, revenue, days to close, held by
    ("Hoa Sen: coffee for 30 stores", "Công ty TNHH Hoa Sen", "Proposal", "3840", 20,
     "demo"),
    ("明珠贸易 办公家具", "上海明珠贸易有限公司", "Negotiation", "8500", 10, "demo_zh"),
    ("Blue River service plan", "Blue River Trading Ltd", "Qualified", "4300", 45, "admin"),
    ("Sài Gòn Xanh espresso bar", "Cà phê Sài Gòn Xanh", "New", "1240", 70, "demo"),
]


FIRST_CALL = {"en": "First call", "vi": "Gọi lần đầu", "zh_CN": "首次电话"}
# activities on deals and orders, so their pages' Activities panels show something
DEAL_MEETING = {"en": "Present the proposal", "vi": "Trình bày đề xuất", "zh_CN": "介绍方案"}
DEAL_DONE = {"en": "Discovery call", "vi": "Gọi tìm hiểu nhu cầu", "zh_CN": "需求沟通电话"}
DEAL_OUTCOME = {"en": "Interested: wants a proposal", "vi": "Quan tâm: muốn nhận đề xuất",
                "zh_CN": "有兴趣：需要方案"}
ORDER_CALL = {"en": "Confirm the delivery date", "vi": "Xác nhận ngày giao hàng",
              "zh_CN": "确认交货日期"}


def said(phrases: dict, user) -> str:
    return phrases.get(user.lang, phrases["en"])


def plan_on(record, user, subject: str, days: int, **values) -> None:
    """An activity about `record` (its page's Activities panel), `days` from now at 10:00
    where the user works."""
    due = office_hour(user, days, 10)
    db.session.add(Activity(
        subject=subject, assignee_id=user.id, created_by_id=user.id, due_at=due,
        partner_id=getattr(record, "partner_id", None), res_model=record.__model__,
        res_id=record.id, **values))


def load() -> None:
    users = {u.login: u for u in db.session.execute(sa.select(User)).scalars()}
    users_by_id = {u.id: u for u in users.values()}
    for login in ("demo", "demo_zh"):
        if login in users:
            users[login].set_groups(users[login].group_ids | {"sales.user"})
    team = Team(name="Sales Việt Nam · 销售部", leader_id=users["admin"].id)
    team.members = [users[login] for login in ("demo", "demo_zh", "admin") if login in users]
    db.session.add(team)
    products = {}
    for name, code, category, unit, price, cost, tax in PRODUCTS:
        products[code] = Product(name=name, code=code, category=category, unit=unit,
                                 list_price=Decimal(price), cost=Decimal(cost),
                                 tax_rate=Decimal(tax))
    db.session.add_all(products.values())
    db.session.flush()
    vip = Pricelist(name="Khách hàng hạng A · A 级客户", grade="A")
    db.session.add(vip)
    db.session.flush()
    db.session.add_all([
        PricelistItem(pricelist_id=vip.id, min_quantity=Decimal(0), discount=Decimal(5)),
        PricelistItem(pricelist_id=vip.id, product_id=products["CF-1KG"].id,
                      min_quantity=Decimal(50), fixed_price=Decimal("11.40"))])
    campaign = Campaign(name="Hội chợ Cà phê 2026", channel="event", cost=Decimal("1800"),
                        date_start=date.today() - timedelta(days=40),
                        date_end=date.today() - timedelta(days=37))
    db.session.add(campaign)
    db.session.flush()
    sources = dict(db.session.execute(sa.select(LeadSource.name, LeadSource.id)).all())
    held = []
    for subject, contact, company, email, source, holder, kind in LEADS:
        record = Lead(name=subject, contact_name=contact, company_name=company,
                      email=email, source_id=sources.get(source), type=kind,
                      campaign_id=campaign.id if source == "Trade fair" else None,
                      user_id=users[holder].id if holder in users else None,
                      team_id=team.id if holder else None,
                      last_touched_at=utcnow() if holder else None)
        db.session.add(record)
        if holder in users:
            held.append(record)
    db.session.flush()
    # a first call on each lead someone holds: one overdue, the others in the days ahead
    for i, record in enumerate(held):
        db.session.add(Activity(
            subject=f"{FIRST_CALL.get(users_by_id[record.user_id].lang, FIRST_CALL['en'])}: "
                    f"{record.contact_name or record.name}",
            kind="call", assignee_id=record.user_id, created_by_id=record.user_id,
            due_at=office_hour(users_by_id[record.user_id], i * 2 - 1, 9 + i % 7),
            duration_minutes=15, res_model="sale.lead", res_id=record.id))
    stages = dict(db.session.execute(sa.select(Stage.name, Stage)).all())
    partners = dict(db.session.execute(sa.select(Partner.name, Partner.id).where(
        Partner.is_company.is_(True))).all())
    deals = {}
    for subject, customer, stage, revenue, days, holder in DEALS:
        deal = Lead(name=subject, type="opportunity", status="converted",
                    partner_id=partners.get(customer), stage_id=stages[stage].id,
                    probability=stages[stage].probability, expected_revenue=Decimal(revenue),
                    expected_close=date.today() + timedelta(days=days),
                    user_id=users[holder].id, team_id=team.id, last_touched_at=utcnow(),
                    campaign_id=campaign.id if customer.startswith("Công ty") else None)
        db.session.add(deal)
        deals[customer] = deal
    db.session.flush()
    for i, deal in enumerate(deals.values()):  # one done, one planned (the first overdue)
        holder = users_by_id[deal.user_id]
        plan_on(deal, holder, said(DEAL_DONE, holder), -3 - i, kind="call", state="done",
                duration_minutes=15, outcome=said(DEAL_OUTCOME, holder))
        plan_on(deal, holder, f"{said(DEAL_MEETING, holder)}: {deal.name}", i * 2 - 1,
                kind="meeting", duration_minutes=60)
    # orders: a few confirmed ones (so analysis and grading have figures) and open quotes
    sold = [("Công ty TNHH Hoa Sen", "demo", [("CF-1KG", 60), ("TEA-500", 40)], True, 25),
            ("上海明珠贸易有限公司", "demo_zh", [("CH-ERGO", 30), ("SRV-INST", 8)], True, 12),
            ("Blue River Trading Ltd", "admin", [("SRV-MAINT", 12), ("SRV-INST", 4)], True, 5),
            ("Cà phê Sài Gòn Xanh", "demo", [("MC-ESP", 2), ("CF-1KG", 20)], False, 0)]
    for customer, holder, lines, confirm, days_ago in sold:
        order = services.create_order(
            partners[customer], [{"product_id": products[code].id, "quantity": Decimal(q)}
                                 for code, q in lines],
            user_id=users[holder].id, date_order=date.today() - timedelta(days=days_ago),
            lead_id=deals[customer].id if not confirm else None,
            campaign_id=campaign.id if customer.startswith("Công ty") else None)
        if confirm:
            services.confirm(order)
        plan_on(order, users[holder], said(ORDER_CALL, users[holder]), 1 + len(lines),
                kind="call", duration_minutes=30)
    from .analysis import grade_customers

    grade_customers()

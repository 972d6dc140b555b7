"""Demo data (`init --demo`, `demo load`): the demo users may claim expenses, and a few
claims stand in each state. Written as rows: the demo is loaded by the CLI, where nobody
is signed in to run actions."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from core.auth.models import User
from core.db import db

from .models import ExpenseClaim

CLAIMS = [
    # employee, days ago, category, amount, description, state, reason for refusal
    ("demo", 12, "travel", "18.50", "Taxi ra sân bay Nội Bài", "paid", None),
    ("demo", 5, "lodging", "96.00", "Khách sạn Đà Nẵng, 2 đêm", "submitted", None),
    ("demo", 1, "meals", "42.30", "Ăn trưa với khách hàng Hoa Sen", "draft", None),
    ("demo_zh", 9, "travel", "78.00", "上海出差高铁票", "approved", None),
    ("demo_zh", 6, "supplies", "24.90", "打印纸和墨盒", "refused", "请附上发票。"),
    ("demo_zh", 2, "meals", "35.60", "客户午餐（明珠贸易）", "submitted", None),
    ("admin", 3, "travel", "350.00", "Conference ticket, Singapore", "draft", None),
]


def load() -> None:
    users = {u.login: u for u in db.session.execute(sa.select(User)).scalars()}
    for login in ("demo", "demo_zh"):
        if login in users:  # the admin approves: administrators hold every right
            users[login].set_groups(users[login].group_ids | {"expenses.user"})
    for login, days, category, amount, description, state, reason in CLAIMS:
        if login in users:
            db.session.add(ExpenseClaim(
                employee_id=users[login].id, date=date.today() - timedelta(days=days),
                category=category, amount=Decimal(amount), description=description,
                state=state, refusal_reason=reason))

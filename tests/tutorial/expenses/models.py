"""An expense claim: what an employee spent for the company, and where its claim stands."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model
from core.timeline import acting_user_id
from core.workflow import ALL, Workflow

STATES = {"draft": _l("Draft"), "submitted": _l("Submitted"), "approved": _l("Approved"),
          "paid": _l("Reimbursed"), "refused": _l("Refused")}
CATEGORIES = {"travel": _l("Travel"), "meals": _l("Meals"), "lodging": _l("Lodging"),
              "supplies": _l("Office supplies"), "other": _l("Other")}


class ExpenseClaim(Model):
    __model__ = "expense.claim"  # table expense_claim; the API's /api/v1/expense.claim
    __timeline__ = True  # changes and actions are recorded on the claim's timeline
    __workflow__ = Workflow(
        states=STATES,
        moves={"draft": ("submitted",), "submitted": ("approved", "refused", "draft"),
               "approved": ("paid",), "refused": ("draft",)},
        # the approver decides on what was submitted: nobody edits it afterwards (set it
        # back to draft to correct it)
        locked={"submitted": ALL, "approved": ALL, "paid": ALL, "refused": ALL},
        aside=("refused",))  # shown in the status bar only while a claim is refused

    # whoever records the claim, unless they name someone else
    employee_id: Mapped[int] = mapped_column(
        sa.ForeignKey("core_user.id", ondelete="RESTRICT"), index=True,
        default=acting_user_id, info={"label": _l("Employee")})
    date: Mapped[date] = mapped_column(default=date.today, index=True,
                                       info={"label": _l("Date")})
    category: Mapped[str] = mapped_column(
        sa.String(16), default="other", index=True,
        info={"label": _l("Category"), "choices": CATEGORIES})
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(16, 2), info={"label": _l("Amount")})
    description: Mapped[str] = mapped_column(sa.String(200),
                                             info={"label": _l("Description")})
    state: Mapped[str] = mapped_column(sa.String(16), default="draft", index=True,
                                       info={"label": _l("Status"), "choices": STATES})
    refusal_reason: Mapped[str | None] = mapped_column(
        sa.Text, info={"label": _l("Reason for refusal")})

    def __str__(self) -> str:
        return self.description

    def delete_refusal(self) -> str | None:
        if self.state == "draft":
            return None
        return str(_l("Only a draft claim can be deleted."))

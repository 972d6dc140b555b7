"""The rules of expense claims: what a claim must hold to be saved, and what each action
does to it. Callers commit (core.actions runs the actions, core.records the saves), so a
refusal rolls the whole operation back."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.errors import Refusal

from .models import ExpenseClaim

FLOW = ExpenseClaim.__workflow__


def saving_claim(claim, values, creating) -> None:
    """Runs on every save, from the form, a CSV import or the API."""
    if claim.amount is None or claim.amount <= 0:
        message = _l("The amount must be above zero.")
        raise Refusal(message, "invalid", {"amount": message})


def submit(claim) -> None:
    FLOW.move(claim, "submitted")


def approve(claim) -> None:
    if claim.employee_id == current_user.id:
        raise Refusal(_l("Someone else must approve your own claim."), "own_claim")
    FLOW.move(claim, "approved")


def refuse(claim, reason) -> None:
    FLOW.move(claim, "refused")
    claim.refusal_reason = reason


def pay(claim) -> None:
    FLOW.move(claim, "paid")


def reset(claim) -> None:
    FLOW.move(claim, "draft")
    claim.refusal_reason = None

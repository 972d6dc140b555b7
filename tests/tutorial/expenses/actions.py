"""What people do to a claim, declared once: each action is a button on the claim's page
(in its states, to those with its right), a bulk action on the list, a route, an API
action (POST /api/v1/expense.claim/<id>/<name>) and an entry on the claim's timeline."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.actions import Action, Param

from . import claims
from .models import ExpenseClaim


def _not_own(claim) -> bool:
    return claim.employee_id != current_user.id


CLAIM_ACTIONS = (
    Action("submit", _l("Submit"), claims.submit, icon="send", style="primary",
           states=("draft",), done=_l("Submitted for approval."),
           summary="Send a draft claim to the approvers"),
    Action("approve", _l("Approve"), claims.approve, icon="check2-circle", style="success",
           states=("submitted",), right="expenses.approve", show=_not_own,
           done=_l("The claim is approved.")),
    Action("refuse", _l("Refuse"), claims.refuse, icon="x-circle", style="outline-danger",
           states=("submitted",), right="expenses.approve", show=_not_own,
           params=(Param("reason", _l("Reason for refusal"), required=True),),
           done=_l("The claim is refused."), summary="Refuse a submitted claim, saying why"),
    Action("pay", _l("Mark as reimbursed"), claims.pay, icon="cash-coin", style="success",
           states=("approved",), right="expenses.approve",
           done=_l("The claim is reimbursed.")),
    Action("reset", _l("Reset to draft"), claims.reset, icon="arrow-counterclockwise",
           states=("submitted", "refused"), done=_l("The claim is a draft again.")),
)


def declare(module) -> None:
    module.actions(ExpenseClaim, *CLAIM_ACTIONS)

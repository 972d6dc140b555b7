"""Expense claims: employees claim what they spent for the company; approvers approve or
refuse each claim and mark it reimbursed."""
from core import access

from . import actions, claims, views
from .models import ExpenseClaim


def register(module) -> None:
    module.blueprint(views.bp)
    # an employee sees their own claims; approvers have no rule, so they see all
    module.record_rule("expense.claim", "expenses.user", access.own(ExpenseClaim.employee_id))
    module.saving(ExpenseClaim, claims.saving_claim)
    actions.declare(module)
    module.expose(
        ExpenseClaim,
        read=["employee_id", "date", "category", "amount", "description", "state",
              "refusal_reason"],
        write=["employee_id", "date", "category", "amount", "description"],
        filter=["employee_id", "date", "category", "state"])

"""The claims' pages, declared: a list with search, filters and groups, a form, a board by
state and a report. core.ui.generic renders them, through the rights and record rules."""
from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from core.ui.generic import Board, Column, ModelViews, Report

from .models import ExpenseClaim

bp = Blueprint("expenses", __name__, url_prefix="/expenses")

claims = ModelViews(
    ExpenseClaim, "claims", _l("Expense claims"),
    columns=[Column("description", link=True), Column("employee_id", related="name"), "date",
             "category", "state", Column("amount", total=True)],
    fields=["employee_id", "date", "category", "amount", "description"],
    search=("description",), filters=("state", "category", "employee_id"),
    group_by=("state", "category", "employee_id"), order="-date",
    record_title="description",
    board=Board("state", title="description", details=("employee_id", "amount"),
                total="amount"),
    report=Report(groups=("category", "employee_id", "state"), measures=("amount",)))
claims.register(bp)  # /expenses/claims, /new, /<id>, /board, /report, /<id>/<action>, ...

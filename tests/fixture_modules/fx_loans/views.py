from flask import Blueprint, jsonify

from core import access
from core.db import db

from .models import Loan

bp = Blueprint("fx_loans", __name__, url_prefix="/fx/loans")


@bp.route("/")
@access.requires("fx.loan", "r")
def loans():
    rows = db.session.execute(access.select_for(Loan)).scalars()
    return jsonify([{"id": loan.id, "book_id": loan.book_id} for loan in rows])

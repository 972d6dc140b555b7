import sqlalchemy as sa
from flask import Blueprint, jsonify
from flask_login import login_required

from core.db import db

from .models import Loan

bp = Blueprint("fx_loans", __name__, url_prefix="/fx/loans")


@bp.route("/")
@login_required
def loans():
    rows = db.session.execute(sa.select(Loan)).scalars()
    return jsonify([{"id": loan.id, "book_id": loan.book_id} for loan in rows])

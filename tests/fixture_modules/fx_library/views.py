import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, render_template_string
from flask_login import login_required

from core.db import db
from core.modules import get_registry

from .models import Book

bp = Blueprint("fx_library", __name__, url_prefix="/fx/books")


@bp.route("/")
@login_required
def books():
    rows = db.session.execute(sa.select(Book).order_by(Book.title)).scalars()
    return jsonify([{"id": b.id, "title": b.title} for b in rows])


@bp.route("/<int:book_id>")
@login_required
def book(book_id):
    book = db.session.get(Book, book_id) or abort(404)
    return render_template_string(
        "<h1>{{ book.title }}</h1><aside>{{ slot('fx.book.side', book) }}</aside>", book=book
    )


@bp.route("/<int:book_id>/lend", methods=["POST"])
@login_required
def lend(book_id):
    """Sends `fx.book.lending`: a handler may refuse by returning a reason."""
    book = db.session.get(Book, book_id) or abort(404)
    reasons = [r for r in get_registry().send("fx.book.lending", book) if r]
    if reasons:
        return jsonify({"refused": reasons}), 409
    return jsonify({"lent": book.id})

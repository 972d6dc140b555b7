from flask import Blueprint, jsonify, render_template_string, request

from core import access
from core.db import db
from core.modules import get_registry
from core.ui.generic import Board, Calendar, Column, ModelViews, Report

from .models import Book

bp = Blueprint("fx_library", __name__, url_prefix="/fx/books")

# The generic views, declared (pages under /fx/books/shelf/...).
shelf = ModelViews(
    Book, "shelf", "Books",
    columns=[Column("title", link=True), "author", "status", Column("owner_id", related="name"),
             "published_on", Column("price", total=True)],
    fields=["title", "author", "status", "owner_id", "published_on", "price"],
    search=("title", "author"), filters=("status", "owner_id"), group_by=("status", "author"),
    order="title", record_title="title",
    board=Board("status", title="title", details=("author",), total="price"),
    calendar=Calendar("published_on", title="title"),
    report=Report(groups=("status", "author"), measures=("price",)),
)
shelf.register(bp)


@bp.route("/")
@access.requires("fx.book", "r")
def books():
    query = access.select_for(Book).order_by(Book.title)
    if request.args.get("q"):
        query = query.where(Book.title.ilike(f"%{request.args['q']}%"))
    rows = db.session.execute(query).scalars()
    return jsonify([{"id": b.id, "title": b.title} for b in rows])


@bp.route("/<int:book_id>")
@access.requires("fx.book", "r")
def book(book_id):
    book = access.get_for(Book, book_id)
    return render_template_string(
        "<h1>{{ book.title }}</h1><aside>{{ slot('fx.book.side', book) }}</aside>"
        "{{ timeline(book) }}", book=book
    )


@bp.route("/<int:book_id>/edit", methods=["POST"])
@access.requires("fx.book", "w")
def edit(book_id):
    book = access.get_for(Book, book_id, "w")
    book.title = request.form.get("title", book.title)
    book.author = request.form.get("author", book.author)
    db.session.commit()
    return jsonify({"id": book.id})


@bp.route("/export.csv")
@access.requires("fx.book", "r")
def export():
    rows = db.session.execute(access.select_for(Book).order_by(Book.id)).scalars()
    return "\n".join(f"{b.id},{b.title}" for b in rows), 200, {"Content-Type": "text/csv"}


@bp.route("/<int:book_id>/lend", methods=["POST"])
@access.requires("fx.book", "r")
def lend(book_id):
    """Sends `fx.book.lending`: a handler may refuse by returning a reason."""
    book = access.get_for(Book, book_id)
    reasons = [r for r in get_registry().send("fx.book.lending", book) if r]
    if reasons:
        return jsonify({"refused": reasons}), 409
    return jsonify({"lent": book.id})

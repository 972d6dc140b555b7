"""Fixture module: books, a page, a menu, a job, a widget, and a signal it sends."""
from markupsafe import Markup


def register(module):
    from core import access
    from core.actions import Action, Param

    from . import models, views

    module.blueprint(views.bp)
    module.record_rule("fx.book", "fx_library.user", access.own(models.Book.owner_id))
    module.record_rule("fx.book", "fx_library.lead", access.team(models.Book.owner_id))
    module.expose(models.Book, read=["title", "author", "owner_id"],
                  write=["title", "author", "owner_id"], filter=["title", "owner_id"])
    module.actions(models.Book, Action("lend", "Lend", _lend, params=(Param("to", "To"),)))
    module.widget("fx_library.count", "Books", _count_widget)
    module.on_enable(_default_books)
    module.task("count_by_author", "tests.fixture_modules.fx_library.jobs:count_by_author",
                title="Count books", retries=2, retry_delay=10)


def _count_widget(user):
    import sqlalchemy as sa

    from core.db import db

    from .models import Book

    count = db.session.execute(sa.select(sa.func.count(Book.id))).scalar()
    return Markup('<span class="fx-count">{}</span>').format(count)


def _default_books(connection):
    import sqlalchemy as sa

    from .models import Book

    if not connection.execute(sa.select(sa.func.count(Book.id))).scalar():
        connection.execute(sa.insert(Book).values(title="The Art of Selling", author="A. Seller"))


def _lend(book, to=None):
    """Refused (409) when an enabled module says so, like the page."""
    from core.errors import Refusal
    from core.modules import get_registry

    reasons = [r for r in get_registry().send("fx.book.lending", book) if r]
    if reasons:
        raise Refusal("; ".join(reasons))

"""Fixture module depending on fx_library: extends its book page and refuses lending."""
from markupsafe import Markup


def register(module):
    from . import models, views  # noqa: F401

    module.blueprint(views.bp)
    module.slot("fx.book.side", _loans_panel)
    module.connect("fx.book.lending", _refuse_if_lent)


def _loans_panel(book):
    return Markup('<div class="fx-loans-panel">{}</div>').format(len(_open_loans(book)))


def _refuse_if_lent(book):
    if _open_loans(book):
        return "already lent"
    return None


def _open_loans(book):
    import sqlalchemy as sa

    from core.db import db

    from .models import Loan

    return db.session.execute(sa.select(Loan).where(Loan.book_id == book.id)).scalars().all()

"""Fixture module depending on fx_library: extends its book page and refuses lending."""
import click
from markupsafe import Markup


def register(module):
    from . import models, views  # noqa: F401

    module.blueprint(views.bp)
    module.slot("fx.book.side", _loans_panel)
    module.connect("fx.book.lending", _refuse_if_lent)
    module.expose(models.Loan, read=["book_id", "borrower"], write=["book_id", "borrower"],
                  filter=["book_id"])
    from core.api import Field

    module.extend_resource("fx.book", fields=[Field("loan_count", "integer", load=_loan_counts)])
    module.cli(loans_group)
    module.bench("loans", loans_workload)


@click.group("loans")
def loans_group():
    """Loans (a module's own CLI command)."""


@loans_group.command("count")
def loans_count():
    import sqlalchemy as sa

    from core.db import db

    from .models import Loan

    click.echo(f"{db.session.execute(sa.select(sa.func.count(Loan.id))).scalar()} loans")


@click.command("loans")
@click.option("--repeat", default=3)
def loans_workload(repeat):
    """Times nothing, `repeat` times (a module's bench workload)."""
    click.echo(f"loans workload: {repeat} runs")


def _loan_counts(books):
    """Loans per book for a whole page of books, in one query."""
    import sqlalchemy as sa

    from core.db import db

    from .models import Loan

    ids = [b.id for b in books]
    counts = dict(db.session.execute(sa.select(Loan.book_id, sa.func.count(Loan.id))
                                     .where(Loan.book_id.in_(ids)).group_by(Loan.book_id)).all())
    return {i: counts.get(i, 0) for i in ids}


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

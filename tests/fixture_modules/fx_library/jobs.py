from core.db import db
from core.modules.models import StateCounter


def count_books():
    """Counts its own runs, so tests can see whether it ran."""
    counter = db.session.get(StateCounter, "fx_library.job_runs")
    if counter is None:
        counter = StateCounter(key="fx_library.job_runs", value=0)
        db.session.add(counter)
    counter.value += 1


def count_by_author(author, fail=None):
    """A background task (module.task): counts the books of `author` that its user may
    see, reporting progress per book; `fail` = "error" raises, "refuse" refuses. Each run
    is counted, so tests can see how often it ran."""
    from flask_login import current_user

    from core import access, tasks
    from core.errors import Refusal

    from .models import Book

    counter = db.session.get(StateCounter, "fx_library.task_runs")
    if counter is None:
        counter = StateCounter(key="fx_library.task_runs", value=0)
        db.session.add(counter)
    counter.value += 1
    db.session.commit()  # counted even when it fails below
    if fail == "error":
        raise RuntimeError("the shelf fell over")
    if fail == "refuse":
        raise Refusal("No counting on Sundays")
    books = db.session.execute(access.select_for(Book).where(Book.author == author)).scalars().all()
    for number, _book in enumerate(books, start=1):
        tasks.progress(number, len(books))
    return tasks.Result(f"{len(books)} books by {author}, seen by {current_user.login}",
                        link="/fx/books/shelf")

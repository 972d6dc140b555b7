from core.db import db
from core.modules.models import StateCounter


def count_books():
    """Counts its own runs, so tests can see whether it ran."""
    counter = db.session.get(StateCounter, "fx_library.job_runs")
    if counter is None:
        counter = StateCounter(key="fx_library.job_runs", value=0)
        db.session.add(counter)
    counter.value += 1

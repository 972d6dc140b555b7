"""core.workflow on its own: moves allowed and refused, what each state locks or hides, and
the status bar (forms and the API are tested through sales and the tutorial module)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from core.errors import Refusal
from core.workflow import ALL, Workflow

FLOW = Workflow(
    states={"draft": "Draft", "sent": "Sent", "done": "Done", "cancelled": "Cancelled"},
    moves={"draft": ("sent", "cancelled"), "sent": ("done", "cancelled"),
           "cancelled": ("draft",)},
    locked={"sent": ("amount",), "done": ALL}, hidden={"draft": ("reason",)},
    aside=("cancelled",))


def record(state):
    return SimpleNamespace(state=state)


def test_moves_follow_the_declaration(app):
    with app.test_request_context():
        draft = record("draft")
        FLOW.move(draft, "sent")
        assert draft.state == "sent"
        with pytest.raises(Refusal) as refused:
            FLOW.move(draft, "draft")
        assert (refused.value.code, refused.value.status) == ("invalid_state", 409)
        assert draft.state == "sent"
        FLOW.check(draft, "done")  # allowed, and changes nothing
        assert draft.state == "sent"


def test_what_each_state_locks_and_hides():
    assert FLOW.locked_fields(record("sent"), ["amount", "note"]) == ["amount"]
    assert FLOW.locked_fields(record("done"), ["amount", "note"]) == ["amount", "note"]
    assert FLOW.hides(record("draft"), "reason") and FLOW.locks(record("draft"), "reason")
    assert not FLOW.locks(record("draft"), "amount")


def test_the_status_bar_shows_an_aside_state_only_while_in_it():
    assert [s for s, _label, _current in FLOW.bar(record("draft"))] == [
        "draft", "sent", "done"]
    assert ("cancelled", "Cancelled", True) in FLOW.bar(record("cancelled"))

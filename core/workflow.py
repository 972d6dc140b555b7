"""A model's workflow, declared once: its states, the moves between them, and the fields
each state locks. Forms show it as a status bar and lock what the state locks; the one save
path (core.records) refuses the same writes from every form, import and API call.

    class Order(Model):
        __workflow__ = Workflow(
            states={"draft": _l("Quotation"), "confirmed": _l("Sales order"), ...},
            moves={"draft": ("sent", "confirmed", "cancelled"), ...},
            locked={"confirmed": ALL, "done": ALL, "cancelled": ALL})
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from core.errors import Refusal

ALL = "*"  # every field of the record


@dataclass
class Workflow:
    states: dict  # value -> label, in the order the status bar shows them
    moves: dict  # from state -> the states it may move to
    locked: dict = field(default_factory=dict)  # state -> field names, or ALL
    hidden: dict = field(default_factory=dict)  # state -> field names the form leaves out
    field: str = "state"
    # states shown in the status bar only while the record is in them (e.g. cancelled)
    aside: tuple[str, ...] = ()

    def state_of(self, record) -> str:
        return getattr(record, self.field)

    def label(self, state: str) -> str:
        return str(self.states.get(state, state))

    def locks(self, record, name: str) -> bool:
        """Whether `name` is read-only in the record's current state."""
        fields = self.locked.get(self.state_of(record), ())
        return fields == ALL or name in fields or self.hides(record, name)

    def hides(self, record, name: str) -> bool:
        """Whether the form leaves `name` out in the record's state (e.g. a lost reason
        while a deal is open); a hidden field is also locked."""
        return name in self.hidden.get(self.state_of(record), ())

    def locked_fields(self, record, names) -> list[str]:
        return [n for n in names if self.locks(record, n)]

    def bar(self, record) -> list[tuple[str, str, bool]]:
        """(state, label, current) for the status bar."""
        current = self.state_of(record)
        return [(s, str(label), s == current) for s, label in self.states.items()
                if s not in self.aside or s == current]

    def move(self, record, to: str) -> None:
        """Move the record to state `to`, or refuse when its state does not lead there. The
        caller holds the record's row (core.actions locks it), so two racing moves see one
        another: the second finds the state already changed and is refused."""
        self.check(record, to)
        setattr(record, self.field, to)

    def check(self, record, to: str) -> None:
        """Refuse unless the record's state leads to `to` (for rules that must run before
        the state changes)."""
        current = self.state_of(record)
        if to not in self.moves.get(current, ()):
            raise Refusal(_("This cannot be done while the record is %(state)s.",
                            state=self.label(current)), "invalid_state")


def workflow_of(model_cls) -> Workflow | None:
    return getattr(model_cls, "__workflow__", None)


def check_locked(record, names) -> None:
    """Refuse a write to fields the record's state locks, naming each field: the same
    "invalid_state" (409) as an action the state does not allow."""
    flow = workflow_of(type(record))
    if flow is None or record.id is None:
        return
    locked = flow.locked_fields(record, names)
    if locked:
        message = _("This record is %(state)s: this field cannot be changed.",
                    state=flow.label(flow.state_of(record)))
        raise Refusal(message, "invalid_state", {name: message for name in locked})

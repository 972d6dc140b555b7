"""Actions, declared once. A module hands `module.actions(Order, Action("confirm", ...))`
to the host and gets from that one declaration the button on the record's page (shown in
its states, to those with its right), the bulk action on the list, the route, the API
action with its OpenAPI entry, and the timeline entry. `run()` is the one way any of them
carries an action out: the record's row is locked first, so of two racing requests one
acts and the other finds the state changed and is refused (409)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _

from core import access, limits, records
from core.db import db
from core.errors import Refusal, Warn
from core.timeline import TimelineEntry, acting_user_id
from core.workflow import workflow_of

MAX_TEXT = 2000


@dataclass
class Param:
    """An input an action asks for: a reason, a choice (e.g. the lost reason), a record."""
    name: str
    label: object
    kind: str = "text"  # text | choice | id
    choices: Callable | None = None  # (record) -> [(value, label)] for a choice
    required: bool = False
    right: str | None = None  # only users with this named right may give it
    blank: object = None  # the label of "none" in a choice (default "—")


@dataclass
class Action:
    name: str
    label: object
    # run(record, **params) -> None, the record to show next, or a list of Warn (cautions
    # the user reads after it is done)
    run: Callable
    icon: str = "lightning"
    states: tuple[str, ...] | None = None  # the workflow states it applies in (None: all)
    when: Callable | None = None  # (record) -> bool: a further condition, enforced
    # (record) -> bool: offered only then, the rule itself left to `run` (which refuses with
    # its own code, e.g. a lead someone else claimed first)
    show: Callable | None = None
    perm: str = "w"  # the model right it needs
    also: tuple[tuple[str, str], ...] = ()  # rights on other models, e.g. ("sale.order", "c")
    right: str | None = None  # a named right it needs besides (core.access.has_right)
    confirm: object = None  # a question the user answers before it runs
    params: tuple[Param, ...] = ()
    style: str = "outline-secondary"  # the button's look: primary, success, outline-danger
    bulk: bool = True  # offered on the list for several records at once
    done: object = None  # the message after success (text, or a function of the record)
    summary: str = ""  # for the API documentation
    module: str = "core"  # set when registered
    model: str = ""  # the model it acts on, set when registered

    def allowed(self, user=None) -> bool:
        """The user's rights allow it (whatever the record's state)."""
        return access.can(self.model, self.perm, user) and all(
            access.can(model, perm, user) for model, perm in self.also) and (
            self.right is None or access.has_right(self.right, user))

    def offered(self, record) -> bool:
        """Shown for this record: right, state and condition all allow it."""
        return self.allowed() and self.applies(record) and (
            self.show is None or bool(self.show(record)))

    def applies(self, record) -> bool:
        flow = workflow_of(type(record))
        if self.states is not None and flow is not None \
                and flow.state_of(record) not in self.states:
            return False
        return self.when is None or bool(self.when(record))

    def message(self, record) -> str:
        if callable(self.done):
            return str(self.done(record))
        return str(self.done) if self.done else _("Done.")


@dataclass
class Done:
    record: object  # the record to show next: the one acted on, or what the action made
    warnings: list


def parse_params(action: Action, record, payload) -> dict:
    """The action's inputs from a form or a JSON body, checked; refuses with each field's
    problem (422)."""
    values, errors = {}, {}
    for p in action.params:
        raw = payload.get(p.name)
        if isinstance(raw, str):
            raw = raw.strip()
        if raw in (None, ""):
            if p.required:
                errors[p.name] = _("This field is required.")
            values[p.name] = None
            continue
        if p.right and not access.has_right(p.right):
            abort(403)
        if p.kind == "id":  # a record's id, or one of the values its choices offer
            offered = {str(v) for v, _label in p.choices(record)} if p.choices else set()
            value = raw if str(raw) in offered and _int(raw) is None else _int(raw)
            if value is None:
                errors[p.name] = _("Expected a whole number.")
            values[p.name] = value
        elif p.kind == "choice":
            offered = {str(v): v for v, _label in p.choices(record)}
            if str(raw) not in offered:
                errors[p.name] = _("Not a valid choice.")
            values[p.name] = offered.get(str(raw))
        else:
            if not isinstance(raw, str) or limits.text_problem(raw, MAX_TEXT) is not None:
                errors[p.name] = _("Expected text of at most %(n)s characters.", n=MAX_TEXT)
            values[p.name] = raw
    if errors:
        raise Refusal(_("Some values are not valid."), "invalid", errors)
    return values


def _int(raw):
    """An id: a whole number (or its digits as text) that an id column can hold."""
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        return None
    if isinstance(raw, str):
        if not raw.isascii() or not raw.isdigit():
            return None
        raw = int(raw)
    return raw if 0 < raw <= limits.MAX_ID else None


def run(model_cls, action: Action, record_id, payload: dict):
    """Carry the action out on one record the user may reach, or refuse (Refusal, 403,
    404). Callers commit."""
    access.require(model_cls.__model__, action.perm)
    for model, perm in action.also:
        access.require(model, perm)
    if action.right and not access.has_right(action.right):
        abort(403)
    record = access.get_for(model_cls, record_id, action.perm, lock=True)
    if not action.applies(record):
        flow = workflow_of(model_cls)
        state = flow.label(flow.state_of(record)) if flow else ""
        raise Refusal(_("“%(action)s” cannot be done now: this record is %(state)s.",
                        action=action.label, state=state) if state else
                      _("“%(action)s” cannot be done now for this record.",
                        action=action.label), "invalid_state")
    params = parse_params(action, record, payload or {})
    result = action.run(record, **params)
    db.session.add(TimelineEntry(
        model=model_cls.__model__, record_id=record.id, kind="action", body=action.name,
        user_id=acting_user_id(),
        changes={k: [None, v] for k, v in params.items() if isinstance(v, str)} or None))
    db.session.flush()
    # still within the user's record rules, as a save must be (an action may not hand the
    # record to someone out of the user's reach); one it deleted is not checked
    if sa.inspect(record).persistent and not records.reachable(record, action.perm):
        abort(403)
    if isinstance(result, list):
        return Done(record, [w for w in result if isinstance(w, Warn)])
    return Done(result if result is not None else record, [])


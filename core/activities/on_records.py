"""Activities on any record: a model opts in with `__activities__ = True` and every page of
its records (the generic form, a document editor: wherever its timeline shows) gets an
Activities panel: what is planned (overdue in red) and done, "Schedule an activity", "Mark
done" and "Schedule the next one". An activity is about a record (`res_model`, `res_id`)
only if the user may read that record."""
from __future__ import annotations

import sqlalchemy as sa
from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from core import access, actions
from core.db import db, utcnow
from core.errors import Refusal
from core.modules import get_registry
from core.security import safe_target

from .models import Activity


def opted_in(model_name: str | None):
    """The model class named, if its records take activities and its module is enabled."""
    registry = get_registry()
    cls = registry.models.get(model_name or "")
    if cls is None or not getattr(cls, "__activities__", False):
        return None
    if not registry.is_enabled(registry.table_owner(cls.__tablename__) or "core"):
        return None
    return cls


def readable(cls, record_id):
    """The record of `cls` the current user may read, or None."""
    if not isinstance(record_id, int) or not access.can(cls.__model__, "r"):
        return None
    return db.session.execute(access.select_for(cls).where(cls.id == record_id)).scalar()


def check_about(activity, values: dict, creating: bool) -> None:
    """Saving hook: the record an activity is about exists, takes activities and is one the
    user may read (from a form, an import or the API alike). No field named: the form
    carries them hidden, so the message is shown above it."""
    state = sa.inspect(activity)
    if not creating and not (state.attrs.res_model.history.has_changes()
                             or state.attrs.res_id.history.has_changes()):
        return
    if activity.res_model is None and activity.res_id is None:
        return
    cls = opted_in(activity.res_model)
    if cls is None:
        raise Refusal(_("Activities cannot be attached to this kind of record."), "invalid")
    if readable(cls, activity.res_id) is None:
        raise Refusal(_("No such record, or you may not read it."), "invalid")


def about(activity):
    """(label, url) of the record an activity is about, when the user may read it."""
    cls = opted_in(activity.res_model)
    record = readable(cls, activity.res_id) if cls is not None else None
    if record is None:
        return None
    from core.ui.generic.actions import record_url

    return str(record), record_url(record, "")


def abouts(activities) -> dict:
    """(res_model, res_id) -> (label, url) of the records the user may read that these
    activities are about: one query per kind of record, for a list."""
    from core.ui.generic.actions import record_url

    wanted: dict = {}
    for a in activities:
        if a.res_model and a.res_id:
            wanted.setdefault(a.res_model, set()).add(a.res_id)
    found = {}
    for name, ids in wanted.items():
        cls = opted_in(name)
        if cls is None or not access.can(name, "r"):
            continue
        for record in db.session.execute(access.select_for(cls).where(cls.id.in_(ids))
                                         ).scalars():
            found[(name, record.id)] = (str(record), record_url(record, ""))
    return found


def new_url(record, **extra) -> str:
    """The New activity form about `record`, with its contact when it has one."""
    partner_id = record.id if record.__model__ == "partner" else getattr(
        record, "partner_id", None)
    args = {"res_model": record.__model__, "res_id": record.id, **extra}
    if partner_id:
        args["partner_id"] = partner_id
    return url_for("activities.activities_new", **args)


def panel(record, force: bool = False) -> Markup:
    """The Activities panel of a record's page (slot "record.side")."""
    if not (force or opted_in(record.__model__)) or not access.can("activity", "r"):
        return Markup("")
    condition = sa.and_(Activity.res_model == record.__model__, Activity.res_id == record.id)
    if record.__model__ == "partner":  # a contact's: also those that name it as the contact
        condition = sa.or_(condition, Activity.partner_id == record.id)
    rows = db.session.execute(access.select_for(Activity).where(condition).order_by(
        (Activity.state == "planned").desc(), Activity.due_at.is_(None),
        Activity.due_at.desc()).limit(30)).scalars().all()
    planned = sorted((a for a in rows if a.state == "planned"),
                     key=lambda a: (a.due_at is None, a.due_at))
    return Markup(render_template(
        "activities/_record.html", record=record, planned=planned, now=utcnow(),
        done=[a for a in rows if a.state != "planned"][:10],
        new_url=new_url(record), can_create=access.can("activity", "c"),
        can_write=access.can("activity", "w"), back=request.path))


def mark_done(activity_id):
    """Mark an activity done (with its outcome); then back to the record's page, or, for
    "Schedule the next one", to a New activity about the same record. Done already: 409."""
    spec = get_registry().active_actions("activity")["done"]
    done = actions.run(Activity, spec, activity_id, request.form)  # a Refusal is a 409
    activity = done.record
    db.session.commit()
    cls = opted_in(activity.res_model)
    record = readable(cls, activity.res_id) if cls is not None else None
    if request.form.get("then") == "next":
        if record is not None:
            return redirect(new_url(record, kind=activity.kind))
        return redirect(url_for("activities.activities_new", partner_id=activity.partner_id,
                                kind=activity.kind))
    fallback = url_for("activities.activities_edit", record_id=activity.id)
    return redirect(safe_target(request.form.get("next"), fallback))

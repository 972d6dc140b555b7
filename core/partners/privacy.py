"""Privacy: everything held about a person, as JSON, and anonymisation that removes the
personal data but keeps business records (orders, invoices, activities) whole."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext

from core.db import db
from core.timeline import TimelineEntry, attachments_dir, json_value

from .models import Partner

PERSONAL = ("email", "phone", "mobile", "website", "street", "zip", "tax_id", "notes", "lang")


def export_person(partner: Partner, registry) -> dict:
    """The partner's own fields, its timeline, its activities, and what enabled modules add
    through the `partner.exporting` signal (each handler returns {section: data})."""
    from core.activities.models import Activity

    columns = [c.key for c in sa.inspect(Partner).column_attrs]
    data = {"partner": {name: json_value(getattr(partner, name)) for name in columns}}
    data["timeline"] = [
        {"kind": e.kind, "at": json_value(e.created_at), "changes": e.changes, "body": e.body,
         "file": e.file_name}
        for e in db.session.execute(sa.select(TimelineEntry).where(
            TimelineEntry.model == "partner", TimelineEntry.record_id == partner.id)
            .order_by(TimelineEntry.id)).scalars()]
    data["activities"] = [
        {"subject": a.subject, "kind": a.kind, "state": a.state, "due_at": json_value(a.due_at),
         "outcome": a.outcome}
        for a in db.session.execute(sa.select(Activity).where(
            Activity.partner_id == partner.id).order_by(Activity.id)).scalars()]
    for section in registry.send("partner.exporting", partner):
        if isinstance(section, dict):
            data.update(section)
    return data


def anonymise(partner: Partner, registry) -> None:
    """Replace the person's identity and contact details, scrub them from the timeline (old
    values, notes, attachments), and let modules scrub theirs (`partner.anonymising`).
    Links from business records stay, pointing at the anonymised partner."""
    registry.send("partner.anonymising", partner)
    partner.name = gettext("Anonymised contact %(id)s", id=partner.id)
    for field in PERSONAL:
        setattr(partner, field, None)
    partner.marketing_consent, partner.opt_out, partner.active = False, True, False
    db.session.flush()
    entries = db.session.execute(sa.select(TimelineEntry).where(
        TimelineEntry.model == "partner", TimelineEntry.record_id == partner.id)).scalars()
    folder = attachments_dir()
    for entry in entries:
        if entry.file_path:
            (folder / entry.file_path).unlink(missing_ok=True)
        entry.changes = {key: ["—", "—"] for key in (entry.changes or {})} or None
        entry.body = None
        entry.file_name = entry.file_path = None

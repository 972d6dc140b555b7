"""The record timeline: who changed what and when, plus notes and attachments.

A model opts in with `__timeline__ = True`. One session hook records every create, update and
delete of such records at flush time, once per flush, with the fields changed and their old
and new values. Attachments are stored as files under the instance folder (outside the
database) and served only to users who may read the record."""
from __future__ import annotations

import functools
import uuid
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.auth.models import User
from core.db import db, utcnow

SKIP = {"id", "created_at", "updated_at", "created_by_id"}


class TimelineEntry(db.Model):
    __tablename__ = "core_timeline"
    __table_args__ = (sa.Index("ix_core_timeline_record", "model", "record_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(sa.String(64))
    record_id: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(16))  # create update delete note attachment
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("core_user.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    changes: Mapped[dict | None] = mapped_column(sa.JSON)  # field -> [old, new]
    body: Mapped[str | None] = mapped_column(sa.Text)
    file_name: Mapped[str | None] = mapped_column(sa.String(255))
    file_path: Mapped[str | None] = mapped_column(sa.String(255))  # under the attachments dir
    file_size: Mapped[int | None]
    file_type: Mapped[str | None] = mapped_column(sa.String(128))

    user: Mapped[User | None] = relationship(lazy="joined")


_PLAIN = frozenset({str, int, bool, float, type(None)})


def json_value(value):
    """A JSON-safe form of a column value."""
    if type(value) in _PLAIN:  # most values: one look-up, not a chain of isinstance
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):  # a JSON column (a translatable field's other languages)
        return {str(k): json_value(v) for k, v in value.items()}
    return str(value)


def tracked_columns(obj) -> list[str]:
    return _tracked(type(obj))


@functools.cache
def _tracked(model_cls) -> list[str]:
    return [c.key for c in sa.inspect(model_cls).column_attrs if c.key not in SKIP]


def acting_user_id() -> int | None:
    """The signed-in user's id, read from the identity map: after a commit the user object
    is expired, and touching its attributes would reload it (two queries per write)."""
    if not has_request_context():
        return None
    state = sa.inspect(current_user._get_current_object(), raiseerr=False)
    return state.identity[0] if state is not None and state.identity else None


def _entries_for_flush(session: Session) -> list[dict]:
    rows = []
    user_id = acting_user_id()
    for obj in session.new:
        if getattr(obj, "__timeline__", False):
            held = sa.inspect(obj).dict  # what the new record was given, as flushed
            values = {k: [None, json_value(held[k])] for k in tracked_columns(obj)
                      if held.get(k) is not None}
            rows.append(dict(model=obj.__model__, record_id=obj.id, kind="create",
                             changes=values, user_id=user_id))
    for obj in session.dirty:
        if not getattr(obj, "__timeline__", False) or obj in session.deleted:
            continue
        state = sa.inspect(obj)
        changes = {}
        for key in tracked_columns(obj):
            history = state.attrs[key].history
            if history.has_changes():
                old = history.deleted[0] if history.deleted else None
                new = history.added[0] if history.added else None
                if json_value(old) != json_value(new):
                    changes[key] = [json_value(old), json_value(new)]
        if changes:
            rows.append(dict(model=obj.__model__, record_id=obj.id, kind="update",
                             changes=changes, user_id=user_id))
    for obj in session.deleted:
        if getattr(obj, "__timeline__", False):
            values = {k: [json_value(getattr(obj, k)), None] for k in tracked_columns(obj)}
            rows.append(dict(model=obj.__model__, record_id=obj.id, kind="delete",
                             changes=values, user_id=user_id))
    return rows


@event.listens_for(sa.orm.Mapper, "mapper_configured")
def _load_old_values(mapper, cls) -> None:
    """Make tracked attributes load their old value when set, so an update of an expired
    record (say, after a commit) still knows what it changed from."""
    if getattr(cls, "__timeline__", False):
        for attr in mapper.column_attrs:
            if attr.key not in SKIP:
                event.listen(getattr(cls, attr.key), "set", _noop, active_history=True)


def _noop(target, value, oldvalue, initiator):
    return value


@event.listens_for(Session, "after_flush")
def _record_changes(session: Session, _flush_context) -> None:
    rows = _entries_for_flush(session)
    if rows:
        now = utcnow()
        session.connection().execute(
            sa.insert(TimelineEntry), [dict(row, created_at=now) for row in rows])


def log_update(record, old: dict) -> None:
    """Record a change made without the ORM's unit of work (a conditional UPDATE that only
    one of two racing requests wins): `old` maps fields to their values before it; the
    record holds the new ones. Nothing is logged when nothing changed."""
    changes = {key: [json_value(before), json_value(getattr(record, key))]
               for key, before in old.items()
               if json_value(before) != json_value(getattr(record, key))}
    if changes:
        db.session.add(TimelineEntry(model=record.__model__, record_id=record.id,
                                     kind="update", changes=changes,
                                     user_id=acting_user_id()))


def extensions_of(model_name: str) -> list:
    """The models of enabled modules that declare `__timeline_of__ = (model, column)`:
    a record keyed by another (a customer's credit limit, kept by its own module) whose
    history belongs on that record's timeline."""
    from core.modules import get_registry

    registry = get_registry()
    return [cls for cls in registry.models.values()
            if getattr(cls, "__timeline_of__", (None,))[0] == model_name
            and registry.is_enabled(registry.table_owner(cls.__tablename__) or "core")]


def entries(record) -> list[TimelineEntry]:
    """The record's timeline, with its extensions' (see `extensions_of`), newest first, in
    one query."""
    found = [sa.and_(TimelineEntry.model == record.__model__,
                     TimelineEntry.record_id == record.id)]
    for cls in extensions_of(record.__model__):
        key = getattr(cls, cls.__timeline_of__[1])
        found.append(sa.and_(TimelineEntry.model == cls.__model__, TimelineEntry.record_id.in_(
            sa.select(cls.id).where(key == record.id))))
    return db.session.execute(
        sa.select(TimelineEntry).where(sa.or_(*found))
        .order_by(TimelineEntry.created_at.desc(), TimelineEntry.id.desc())
    ).scalars().all()


def add_note(record, body: str) -> TimelineEntry:
    entry = TimelineEntry(model=record.__model__, record_id=record.id, kind="note",
                          body=body, user_id=acting_user_id())
    db.session.add(entry)
    return entry


def attachments_dir() -> Path:
    folder = current_app.config.get("ERP_ATTACHMENTS_DIR") or (
        Path(current_app.instance_path) / "attachments")
    return Path(folder)


def add_attachment(record, upload) -> TimelineEntry:
    """Store an uploaded file (werkzeug FileStorage) and note it on the timeline. The file
    name on disk is random: the user's file name is only kept as data."""
    relative = Path(utcnow().strftime("%Y/%m")) / uuid.uuid4().hex
    target = attachments_dir() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    upload.save(target)
    entry = TimelineEntry(
        model=record.__model__, record_id=record.id, kind="attachment",
        user_id=acting_user_id(), file_name=(upload.filename or "file")[:255],
        file_path=str(relative), file_size=target.stat().st_size,
        file_type=(upload.mimetype or "application/octet-stream")[:128],
    )
    db.session.add(entry)
    return entry

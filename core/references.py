"""What keeps a record from being deleted: the records of other tables whose foreign key
to it refuses the delete (RESTRICT or NO ACTION), named, so that a refusal can say which
("used by Quotations and orders: SO2026-00001, SO2026-00002 (and 3 more)")."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from core import translatable
from core.db import db

SHOWN = 3  # names listed per kind of record; the rest are counted


def _restricting(table: sa.Table):
    """(referencing table, column) of every foreign key to `table` that refuses deletes,
    in the tables the database has (those of core and of installed modules, enabled or
    not: a disabled module's rows still hold on)."""
    from core.modules import get_registry

    registry = get_registry()
    for other in db.metadata.tables.values():
        owner = registry.table_owner(other.name)
        if owner not in (None, "core") and not registry.is_installed(owner):
            continue
        for fk in other.foreign_keys:
            if fk.column.table is table and (fk.ondelete or "NO ACTION").upper() in (
                    "RESTRICT", "NO ACTION"):
                yield other, fk.parent


def _title(table: sa.Table) -> str:
    from core.modules import get_registry
    from core.ui.generic.actions import VIEWS

    model = get_registry().table_models.get(table.name)
    views = VIEWS.get(getattr(model, "__model__", ""), [])
    return str(views[0].title) if views else table.name


def blockers(model, ids) -> list[tuple[str, list[str], int]]:
    """(kind of records, the first names, how many in all) for each table whose rows hold
    on to the records `ids` of `model`: two bounded queries per such table."""
    found = []
    ids = list(ids)
    for other, column in _restricting(model.__table__):
        if column.table is model.__table__ and column.name == "id":
            continue
        where = column.in_(ids)
        if other is model.__table__:  # a record of the same kind, not one being deleted
            where = sa.and_(where, other.c.id.not_in(ids))
        name = translatable.expression(other, "name") if "name" in other.c else None
        key = other.c.id if "id" in other.c else column
        rows = db.session.execute(sa.select(key, name if name is not None else key)
                                  .where(where).order_by(key).limit(SHOWN)).all()
        if not rows:
            continue
        total = len(rows) if len(rows) < SHOWN else db.session.execute(
            sa.select(sa.func.count()).select_from(other).where(where)).scalar()
        found.append((_title(other), [str(r[1]) if r[1] not in (None, "") else f"#{r[0]}"
                                      for r in rows], total))
    return found


def refusal(model, ids) -> str | None:
    """The message of a refused delete naming what holds on to the records, or None when
    nothing found does (then the caller says it in general)."""
    parts = []
    for title, names, total in blockers(model, ids):
        text = ", ".join(names)
        if total > len(names):
            text = _("%(names)s (and %(n)s more)", names=text, n=total - len(names))
        parts.append(_("%(kind)s: %(names)s", kind=title, names=text))
    if not parts:
        return None
    return _("Cannot delete: used by %(records)s.", records="; ".join(parts))

"""Finding likely duplicates of a partner, and merging one partner into another."""
from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from flask_babel import gettext

from core.db import db
from core.search import matching
from core.timeline import add_note

from .models import Partner


def normalise(name: str) -> str:
    """Lower case, no accents, no company suffix noise: "Công ty TNHH Hoa Sen" ~ "hoa sen"."""
    text = unicodedata.normalize("NFKD", name or "").casefold()
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("đ", "d")
    for noise in ("cong ty", "tnhh", "co phan", "co., ltd", "co. ltd", "ltd", "llc", "inc",
                  "jsc", "有限公司", "公司", ".", ",", "-"):
        text = text.replace(noise, " ")
    return " ".join(text.split())


# what the search index holds, asked whole: the index alone answers (narrowed to one
# column, every row it names would be folded again in SQL); Python compares below
SEARCHED = tuple(Partner.__search__)


def digits(phone: str | None) -> str:
    return "".join(c for c in phone or "" if c.isdigit())[-9:]


def likely_duplicates(name: str, email: str | None, phone: str | None,
                      exclude: int | None = None, limit: int = 5) -> list[Partner]:
    """Partners with the same email or phone, or a name that normalises the same. The SQL
    narrows by email, phone or the name's words (through the search index: a contact's
    page asks on every view); Python compares the rest."""
    key = normalise(name)
    words = key.split()
    conditions = []
    if email:  # the search index finds the few holding it; Python compares them below
        conditions.append(matching(Partner, SEARCHED, email.strip()))
    if digits(phone):
        bare = Partner.phone
        for sign in (" ", "-", ".", "(", ")"):
            bare = sa.func.replace(bare, sign, "")
        conditions.append(bare.like(f"%{digits(phone)[-6:]}%"))
    if words:  # accent-blind, through the search index: a name holding every word (of
        # three letters or more, which the index finds), not every "Customer" of a list
        wanted = [word for word in words if len(word) >= 3] or [max(words, key=len)]
        conditions.append(sa.and_(*(matching(Partner, SEARCHED, word) for word in wanted)))
    if not conditions:
        return []
    # each condition apart (UNION): SQLite reads an OR of them row by row, every contact
    query = sa.select(Partner).where(Partner.id.in_(
        sa.union(*(sa.select(Partner.id).where(c) for c in conditions))))
    if exclude:
        query = query.where(Partner.id != exclude)
    found = []
    for partner in db.session.execute(query.limit(200)).scalars():
        if not partner.active:  # here, not in SQL: SQLite walked every active contact's
            continue            # index instead of the few the search index names
        same_email = email and (partner.email or "").lower() == email.strip().lower()
        same_phone = digits(phone) and digits(partner.phone) == digits(phone)
        if same_email or same_phone or (key and normalise(partner.name) == key):
            found.append(partner)
        if len(found) == limit:
            break
    return found


def merge(source: Partner, target: Partner, registry) -> dict[str, int]:
    """Move everything that points at `source` to `target`, in every table of every module
    (disabled ones too: their data must stay whole), let modules with their own rules handle
    `partner.merging`, note it on both timelines and archive the source. Returns rows
    moved per table."""
    registry.send("partner.merging", source, target=target)
    # tags are a set: the generic move below would collide where both carry the same tag
    target.tags = sorted(set(target.tags) | set(source.tags), key=lambda t: t.name)
    source.tags = []
    db.session.flush()
    moved: dict[str, int] = {}
    existing = set(sa.inspect(db.session.connection()).get_table_names())
    for table in db.metadata.sorted_tables:
        if table.name not in existing:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "partner" and fk.column.name == "id":
                column = fk.parent
                if _one_per_partner(table, column):
                    # a row per partner (a module's extension table): the target keeps
                    # its own, else takes the source's
                    other = table.alias()
                    db.session.execute(sa.delete(table).where(
                        column == source.id,
                        sa.exists().where(other.c[column.name] == target.id)))
                result = db.session.execute(sa.update(table).where(column == source.id)
                                            .values({column.name: target.id}))
                if result.rowcount:
                    moved[f"{table.name}.{column.name}"] = result.rowcount
    source.active = False
    add_note(target, gettext("Merged %(name)s (#%(id)s) into this record.",
                             name=source.name, id=source.id))
    add_note(source, gettext("Merged into %(name)s (#%(id)s).", name=target.name, id=target.id))
    return moved


def _one_per_partner(table: sa.Table, column: sa.Column) -> bool:
    """The column alone is the table's key or unique: one row per partner."""
    if list(table.primary_key.columns) == [column] or column.unique:
        return True
    return any(isinstance(c, sa.UniqueConstraint) and list(c.columns) == [column]
               for c in table.constraints)

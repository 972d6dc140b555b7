"""Figures kept up to date in the same transaction as the documents they sum, so that a
report reads a few thousand summed rows instead of every order line.

A rollup is a table of sums, declared once as a mapped class of its module: the grouped
query over the source documents whose result it holds.

    class SalesByMonth(db.Model):
        __rollup__ = Rollup(
            source=Order, parts={OrderLine: OrderLine.order_id},
            joins=((OrderLine, OrderLine.order_id == Order.id),),
            where=(Order.state.in_(SOLD),),
            keys={"month": month_of(Order.date_order), "user_id": Order.user_id},
            measures={"revenue": sa.func.sum(OrderLine.amount_untaxed)})
        __table__ = __rollup__.table("sale_sum_month")

Every flush that adds, changes or deletes a source row or one of its parts (an order, an
order line) sums the touched documents before and after it, and adds the difference to
the table with one upsert (`INSERT ... ON CONFLICT DO UPDATE SET x = x + excluded.x`, which
two racing transactions apply one after the other); a bulk UPDATE or DELETE through the
session is followed the same way. Only what bypasses the session (a seed's COPY, a
migration) must `rebuild`. Keys are never NULL (0 or '' stands for none), so that the
unique key holds on every database (a date key must be required); measures must add up
across documents (sums and counts of rows that belong to one document each).

Readers pick the smallest rollup whose keys hold what they group and filter by, and apply
the source's record rules to it through `readable` (a rule on the source's columns that
are also keys); where a rule or a filter cannot be answered from the sums, they read the
documents themselves."""
from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql import visitors

from core.db import db

CHUNK = 500  # ids per IN list


class month_of(sa.sql.functions.FunctionElement):
    """'2026-11' from a date column, on SQLite and PostgreSQL alike."""
    type = sa.String()
    name = "month_of"
    inherit_cache = True


@compiles(month_of)
def _month_sqlite(element, compiler, **kw):
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"


@compiles(month_of, "postgresql")
def _month_postgresql(element, compiler, **kw):
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


@dataclass(eq=False)
class Rollup:
    source: type  # the documents summed: their record rules say who reads the sums
    keys: dict  # column name -> expression over the source (and its joins)
    measures: dict  # column name -> aggregate expression; each must add up across documents
    joins: tuple = ()  # (target, on clause) joined to the source
    where: tuple = ()  # what a source row must be to count
    parts: dict = field(default_factory=dict)  # part model -> its column naming the source
    indexes: tuple = ()  # extra indexes, each a tuple of column names
    # (source column, values): only documents with one of the values count (sold orders);
    # a document that had none and has none is not summed at all (a quotation's edits)
    counted: tuple = ()
    table_: sa.Table | None = None

    def table(self, name: str) -> sa.Table:
        """The rollup's table: the keys (unique together, in the order given), the
        measures, and `rows`, the source rows summed (a row at 0 is deleted)."""
        columns = [sa.Column(key, _key_type(expr), nullable=False, server_default=None
                             if _none(expr) is None else str(_none(expr)))
                   for key, expr in self.keys.items()]
        columns += [sa.Column(name_, _measure_type(expr), nullable=False, server_default="0")
                    for name_, expr in self.measures.items()]
        columns.append(sa.Column("rows", sa.Integer, nullable=False, server_default="0"))
        self.table_ = sa.Table(
            name, db.metadata, sa.Column("id", sa.Integer, primary_key=True), *columns,
            sa.UniqueConstraint(*self.keys, name=f"uq_{name}_keys"),
            *(sa.Index(f"ix_{name}_{'_'.join(cols)}", *cols) for cols in self.indexes))
        return self.table_

    # -- the grouped query ---------------------------------------------------------------
    def select(self) -> sa.Select:
        """The source rows' sums by key: the rollup's content, or a part of it."""
        keys = [(expr if _none(expr) is None else sa.func.coalesce(expr, _none(expr)))
                .label(key) for key, expr in self.keys.items()]
        query = sa.select(*keys, *(expr.label(name) for name, expr in self.measures.items()),
                          sa.func.count().label("rows")).select_from(self.source)
        for target, on in self.joins:
            query = query.join(target, on)
        if self.counted:
            query = query.where(self.counted[0].in_(self.counted[1]))
        return query.where(*self.where).group_by(*keys)

    @functools.cached_property
    def _of_ids(self) -> sa.Select:
        """`select()` of the documents whose ids are bound to `ids`, built once."""
        return self.select().where(self.source.id.in_(sa.bindparam("ids", expanding=True)))

    @functools.cached_property
    def reads(self) -> frozenset[str]:
        """The source's columns the sums read: a document changed in none of them (and
        none of whose parts changed) sums as it did."""
        table, mapper = self.source.__table__, sa.inspect(self.source)
        return frozenset(mapper.get_property_by_column(element).key
                         for element in visitors.iterate(self.select())
                         if isinstance(element, sa.Column) and element.table is table)

    def sums_of(self, conn, ids: Iterable[int]) -> dict[tuple, list]:
        """{key values: measures and rows} of the given source documents."""
        found: dict[tuple, list] = {}
        ids = sorted(ids)
        width = len(self.keys)
        for start in range(0, len(ids), CHUNK):
            for row in conn.execute(self._of_ids, {"ids": ids[start:start + CHUNK]}):
                found[tuple(row[:width])] = [v or 0 for v in row[width:]]
        return found

    def add(self, conn, before: dict, after: dict) -> None:
        """Add after - before to the table: one upsert, then rows summing nothing go."""
        table, names = self.table_, [*self.measures, "rows"]
        scales = [getattr(table.c[n].type, "scale", None) for n in names]
        deltas, emptied = [], []
        # in key order, so two transactions adding to the same rows lock them in turn
        for key in sorted(before.keys() | after.keys()):
            old, new = before.get(key), after.get(key)
            change = [_round(_number(n) - _number(o), scale) for n, o, scale in zip(
                new or [0] * len(names), old or [0] * len(names), scales, strict=True)]
            if any(change):
                deltas.append({**dict(zip(self.keys, key, strict=True)),
                               **dict(zip(names, change, strict=True))})
                if change[-1] < 0:
                    emptied.append(dict(zip(self.keys, key, strict=True)))
        if not deltas:
            return
        insert = _insert_for(conn)(table)
        conn.execute(insert.on_conflict_do_update(
            index_elements=list(self.keys),
            set_={n: table.c[n] + insert.excluded[n] for n in names}), deltas)
        if emptied:
            conn.execute(sa.delete(table).where(
                table.c.rows <= 0, *(table.c[k] == sa.bindparam(f"k_{k}") for k in self.keys)),
                [{f"k_{k}": row[k] for k in self.keys} for row in emptied])

    def rebuild(self, conn) -> None:
        """Sum every document again (after a load that bypassed the session)."""
        conn.execute(sa.delete(self.table_))
        query = self.select()
        conn.execute(sa.insert(self.table_).from_select(
            [*self.keys, *self.measures, "rows"], query))


def _type_of(expr):
    """The expression's type; a foreign key's before its table knows the one it refers to
    (a module's models imported before core's): an id."""
    if isinstance(expr.type, sa.types.NullType) and getattr(expr, "foreign_keys", None):
        return sa.Integer()
    return expr.type


def _is_number(expr) -> bool:
    return isinstance(_type_of(expr), sa.Integer | sa.Numeric)


def _none(expr):
    """What a key holds for none: 0, '', or (a date) nothing, a date key being required."""
    return 0 if _is_number(expr) else None if isinstance(_type_of(expr), sa.Date) else ""


def _key_type(expr):
    if isinstance(_type_of(expr), sa.Integer | sa.Date):
        return type(_type_of(expr))
    return expr.type if isinstance(expr.type, sa.String) and expr.type.length else sa.String(64)


def _measure_type(expr):
    if isinstance(expr.type, sa.Integer):
        return sa.BigInteger
    return sa.Numeric(20, getattr(expr.type, "scale", None) or 2)


def _number(value):
    return value if isinstance(value, int | Decimal) else Decimal(str(value))


def _round(value, scale):
    return value.quantize(Decimal(1).scaleb(-scale)) if scale and isinstance(
        value, Decimal) else value


def _insert_for(conn):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


# -- the rollups and their upkeep ----------------------------------------------------------
_DECLARED: dict = {}


def rollups() -> list[Rollup]:
    """The rollups of enabled modules (mapped classes with `__rollup__`): a disabled
    module's are summed again when it is enabled (`rebuild_module`)."""
    from core.modules import get_registry

    registry = get_registry()
    return [r for r in _declared()["rollups"]
            if registry.is_enabled(registry.table_owner(r.table_.name) or "core")]


def _declared() -> dict:
    """The rollups, and {table name: [(rollup, column naming the source row)]} of their
    sources and parts, found once for the mapped classes there are."""
    mappers = db.Model.registry.mappers
    if _DECLARED.get("count") != len(mappers):
        found = [m.class_.__rollup__ for m in mappers if "__rollup__" in m.class_.__dict__]
        watched = defaultdict(list)
        for rollup in found:
            watched[rollup.source.__table__.name].append((rollup, rollup.source.__table__.c.id))
            for part, column in rollup.parts.items():
                watched[part.__table__.name].append((rollup, column))
        parts = defaultdict(set)
        for rollup in found:
            for part, column in rollup.parts.items():
                parts[part].add((rollup.source, column))
        _DECLARED.update(count=len(mappers), rollups=found, watched=dict(watched),
                         sources={r.source for r in found}, parts=dict(parts))
    return _DECLARED


@contextmanager
def suspended(session=None):
    """Writes through `session` leave the sums alone (a bulk load that rebuilds after)."""
    session = session or db.session
    session.info["rollups_suspended"] = True
    try:
        yield
    finally:
        session.info.pop("rollups_suspended", None)


def rebuild_module(conn, registry, name: str) -> None:
    """Sum again the rollups of module `name` (it is being enabled: while it was off, its
    documents could still change, a merged customer's orders moving to the other)."""
    for rollup in _declared()["rollups"]:
        if registry.table_owner(rollup.table_.name) == name:
            rollup.rebuild(conn)


def _touched(session) -> tuple[dict, list]:
    """The source documents the coming flush touches, {source: {id: the document, or None
    when it is not in the session}}, and (source, object, attribute) of those whose id is
    known only after it (new documents, new parts of a new document)."""
    touched: dict[type, dict] = defaultdict(dict)
    later = []
    sources, parts = _declared()["sources"], _declared()["parts"]
    deleted = set(map(id, session.deleted))
    for obj in (*session.new, *session.dirty, *session.deleted):
        cls = type(obj)
        if cls in sources:
            if obj.id is None:
                later.append((cls, obj, "id"))
            elif id(obj) in deleted:
                touched[cls][obj.id] = _Always(obj)
            else:
                touched[cls].setdefault(obj.id, obj)
        for source, column in parts.get(cls, ()):  # a class may be both (an invoice)
            history = sa.inspect(obj).attrs[column.key].history
            for value in (*history.added, *history.deleted, *history.unchanged):
                if value:  # its document is summed whatever changed on it
                    touched[source][value] = _Always(_loaded(session, source, value))
            later.append((source, obj, column.key))
    return touched, later


def _loaded(session, source, ident):
    return session.identity_map.get(identity_key(source, ident))


def _may_count(rollup: Rollup, documents: dict) -> list:
    """The ids of `documents` ({id: document or None}) that may count in the rollup before
    or after the flush: a document in the session whose `counted` column was and is
    outside the values that count (a quotation, for sold orders) is skipped unread."""
    found = []
    for ident, obj in documents.items():
        always = isinstance(obj, _Always)
        obj = obj.document if always else obj
        if obj is None:
            found.append(ident)
            continue
        state = sa.inspect(obj)
        if not always and not state.pending and not any(
                state.attrs[name].history.has_changes() for name in rollup.reads):
            continue  # changed, but in nothing the sums read
        if rollup.counted:
            history = state.attrs[rollup.counted[0].key].history
            if not any(v in rollup.counted[1] for v in (*history.added, *history.deleted,
                                                        *history.unchanged)):
                continue
        found.append(ident)
    return found


class _Always:
    """A document touched through one of its parts (a line), or deleted: summed whatever
    changed on the document itself."""
    __slots__ = ("document",)

    def __init__(self, document):
        self.document = document


@event.listens_for(Session, "before_flush")
def _sums_before(session, _context, _instances) -> None:
    session.info.pop("rollups_pending", None)  # of a flush that found nothing to do
    if session.info.get("rollups_suspended"):
        return
    active = rollups()
    if not active:
        return
    touched, later = _touched(session)
    if not touched and not later:
        return
    conn = session.connection()
    before = {}
    for rollup in active:
        ids = _may_count(rollup, touched.get(rollup.source, {}))
        before[rollup] = (ids, rollup.sums_of(conn, ids) if ids else {})
    session.info["rollups_pending"] = (active, touched, later, before)


@event.listens_for(Session, "after_flush_postexec")
def _sums_after(session, _context) -> None:
    pending = session.info.pop("rollups_pending", None)
    if pending is None:
        return
    active, touched, later, before = pending
    new = defaultdict(dict)
    for source, obj, attr in later:
        value = getattr(obj, attr, None)
        if value and value not in touched[source]:
            new[source][value] = _Always(obj if attr == "id" else _loaded(session, source, value))
    conn = session.connection()
    for rollup in active:
        ids, sums = before[rollup]
        ids = {*ids, *_may_count(rollup, new.get(rollup.source, {}))}
        if ids:
            rollup.add(conn, sums, rollup.sums_of(conn, ids))


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(state):
    """An UPDATE, DELETE or INSERT of sources or parts sent through the session: the
    documents it touches are summed before and after it."""
    if not (state.is_update or state.is_delete or state.is_insert) \
            or state.session.info.get("rollups_suspended"):
        return None
    table = getattr(state.statement, "table", None)
    active = rollups()
    watching = [w for w in _declared()["watched"].get(getattr(table, "name", None), ())
                if w[0] in active]
    if not watching:
        return None
    session = state.session
    if session.autoflush and not session._flushing:
        # what the statement's own autoflush would write is summed first, by the flush,
        # so that "before" below is what the statement alone changes
        session.flush()
    conn = session.connection()
    before = {}
    for rollup, column in watching:
        ids = _statement_ids(conn, state, column)
        if ids and column.table is not rollup.source.__table__ and rollup.counted:
            # a statement on parts leaves its documents' state: those outside it are out
            ids = _counting(conn, rollup, ids)
        if ids:
            before[rollup] = (ids, rollup.sums_of(conn, ids))
    if not before:
        return None
    result = state.invoke_statement()
    for rollup, (ids, sums) in before.items():
        rollup.add(conn, sums, rollup.sums_of(conn, ids))
    return result


def _counting(conn, rollup: Rollup, ids) -> list:
    column, values = rollup.counted
    ids, found = sorted(ids), []
    for start in range(0, len(ids), CHUNK):
        found += conn.execute(sa.select(rollup.source.id).where(
            rollup.source.id.in_(ids[start:start + CHUNK]), column.in_(values))).scalars()
    return found


def _statement_ids(conn, state, column) -> set:
    if state.is_insert:
        params = state.parameters
        rows = params if isinstance(params, list) else [params or {}]
        return {row.get(column.key) for row in rows} - {None}
    where = state.statement.whereclause
    query = sa.select(column.table.c[column.key])
    return set(conn.execute(query if where is None else query.where(where)).scalars()) - {None}


# -- reading -------------------------------------------------------------------------------
class NotSummed(Exception):
    """The question cannot be answered from the sums: read the documents."""


def readable(cls) -> list:
    """Conditions limiting rollup `cls`'s rows to the user's: the source's record rules,
    read on the rollup's keys. NotSummed when a rule reads a column that is not a key."""
    from core import access

    rollup = cls.__rollup__
    access.require(rollup.source.__model__, "r")
    condition = access.rule_condition(rollup.source)
    return [] if condition is None else [on_keys(cls, condition)]


def on_keys(cls, condition):
    """`condition` over the source's columns, read on rollup `cls`'s keys (a key kept as 0
    or '' for none reads as NULL again); NotSummed when it reads a column that is not a
    key, or the source's rows (`id`, a correlated subquery)."""
    rollup = cls.__rollup__
    source = rollup.source.__table__
    keyed = {name for name, expr in rollup.keys.items()
             if isinstance(column := getattr(expr, "expression", expr), sa.Column)
             and column.table is source and column.name == name}

    def replace(element):
        if isinstance(element, sa.sql.expression.ColumnClause) and getattr(
                element, "table", None) is source:
            if element.name not in keyed:
                raise NotSummed(element.name)
            return key_read(cls, element.name)
        return None

    return visitors.replacement_traverse(condition, {}, replace)


def key_read(cls, name: str):
    """Rollup `cls`'s key `name` as its source column reads (NULL for none)."""
    column, none = cls.__table__.c[name], _none(cls.__rollup__.keys[name])
    return column if none is None else sa.func.nullif(column, none)


def pick(*classes, keys: Iterable[str]):
    """The first (smallest) rollup class whose keys hold all of `keys`."""
    wanted = set(keys)
    for cls in classes:
        if wanted <= set(cls.__rollup__.keys):
            return cls
    raise NotSummed(", ".join(sorted(wanted)))

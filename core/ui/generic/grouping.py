"""A list's groups: a count and the declared totals per value of the column grouped by, in
the column's own order (a choice's declared order, a reference by its name, other values
ascending), GROUP_PAGE groups a page.

Their cost does not grow with the table where it can be helped. A view may declare
`counts`, a rollup of the model keyed by the columns its lists group and filter by
(core.rollups): when the list's conditions (the view's own, the filters, the record
rules) all read its keys, the groups are its few summed rows. A reference with many
values (a customer) is paged by its names first, and only that page's groups are counted.
What is left (a search, a filter on another column) counts the matching rows."""
from __future__ import annotations

import sqlalchemy as sa
from flask import request

from core import rollups
from core.db import db
from core.search import sort_key

from .. import forms as model_forms
from .keyset import _int

GROUP_PAGE = 50
MAX_GROUP_PAGE = 2**31 // GROUP_PAGE  # an offset any database takes (beyond: no groups)


class GroupsMixin:
    def groups(self, base, group: str) -> tuple[list[dict], dict]:
        """The page of groups the request asks for (`gpage`), and the links to the pages
        before and after it."""
        page = min(max(_int(request.args.get("gpage"), 1), 1), MAX_GROUP_PAGE)
        column = self.expression(group)
        totals = [c.name for c in self.columns if c.total]
        target = self._group_target(group)
        summed = self._summed_groups(base, group, totals)
        if summed is not None:
            rows, more = self._ordered_page(group, summed, target, page)
        elif target is not None:
            rows, more = self._referenced_page(base, column, target, totals, page)
        else:
            query = base.with_only_columns(column, *self._figures(totals)).group_by(column)
            if self.choices(group) is not None and group not in self.extensions():
                rows, more = self._ordered_page(group, db.session.execute(query).all(), None,
                                                page)
            else:
                rows = db.session.execute(query.order_by(column.is_not(None), column).offset(
                    (page - 1) * GROUP_PAGE).limit(GROUP_PAGE + 1)).all()
                rows, more = [(*row, None) for row in rows[:GROUP_PAGE]], len(rows) > GROUP_PAGE
        groups = [{"value": value, "label": self.display(group, value) if label is None
                   else label, "count": count,
                   "totals": dict(zip(totals, figures, strict=True))}
                  for value, count, *figures, label in rows]
        args = {k: v for k, v in request.args.items() if k != "gpage"}
        return groups, {
            "prev": self.url("list", **args, gpage=page - 1) if page > 1 else None,
            "next": self.url("list", **args, gpage=page + 1) if more else None}

    def _figures(self, totals) -> list:
        return [sa.func.count(self.model.id), *(
            sa.func.coalesce(sa.func.sum(getattr(self.model, t)), 0) for t in totals)]

    def _group_target(self, group: str):
        """The model a reference column grouped by points to (None: not a reference)."""
        if group in self.extensions():
            return None
        column = model_forms.column_of(self.model, group)
        return model_forms.reference_target(column) if column.foreign_keys else None

    def _summed_groups(self, base, group: str, totals) -> list | None:
        """[(value, count, *totals)] of every group from the declared counts, or None when
        they cannot answer the list's conditions."""
        cls = self.counts
        if cls is None or group not in cls.__rollup__.keys or any(
                t not in cls.__rollup__.measures for t in totals):
            return None
        if list(base.get_final_froms()) != [self.model.__table__]:
            return None
        try:
            where = [] if base.whereclause is None else [
                rollups.on_keys(cls, base.whereclause)]
        except rollups.NotSummed:
            return None
        table = cls.__table__
        key = rollups.key_read(cls, group)
        query = sa.select(key, sa.func.sum(table.c.rows), *(
            sa.func.sum(table.c[t]) for t in totals)).where(*where).group_by(key)
        return [tuple(row) for row in db.session.execute(query) if row[1]]

    def _ordered_page(self, group: str, rows, target, page: int) -> tuple[list, bool]:
        """All the groups, in the column's order (none first), cut to the page asked."""
        labels = {}
        if target is not None:
            ids = [row[0] for row in rows if row[0] is not None]
            query, order = self._labelled(target)
            labels = {id_: label for id_, label in db.session.execute(
                query.where(target.id.in_(ids)).order_by(*order))} if ids else {}
            place = {id_: i for i, id_ in enumerate(labels)}
        else:
            place = {value: i for i, value in enumerate(self.choices(group) or {})}

        def order(row):
            value = row[0]
            if value is None:
                return (0, 0, "")
            text = value if target is not None else str(value).lower() if isinstance(
                value, bool) else str(value)
            return (1, place.get(text, len(place)), str(text))

        rows = sorted(rows, key=order)
        start = (page - 1) * GROUP_PAGE
        return ([(*row, labels.get(row[0]) if target is not None else None)
                 for row in rows[start:start + GROUP_PAGE]], len(rows) > start + GROUP_PAGE)

    @staticmethod
    def _labelled(target):
        """(select of a model's ids and names, the order its pickers show them in)."""
        label = model_forms.name_of(target)
        return sa.select(target.id, label), [*model_forms.picker_order(target),
                                             sort_key(label), target.id]

    def _referenced_page(self, base, column, target, totals, page: int):
        """A page of the records referred to, by name, that some listed row refers to (one
        probe each through the reference's index), then the rows of those groups counted."""
        start = (page - 1) * GROUP_PAGE
        listed = base.with_only_columns(sa.literal(1)).where(column == target.id).exists()
        query, order = self._labelled(target)
        keyed = db.session.execute(query.where(listed).order_by(*order).offset(start)
                                   .limit(GROUP_PAGE + 1)).all()
        more, keyed = len(keyed) > GROUP_PAGE, keyed[:GROUP_PAGE]
        # page 1 starts with the rows referring to nothing, when there are some
        none = [] if start else [(*row, None) for row in db.session.execute(
            base.with_only_columns(sa.null(), *self._figures(totals))
            .where(column.is_(None))) if row[1]]
        figures = {row[0]: row[1:] for row in db.session.execute(
            base.with_only_columns(column, *self._figures(totals))
            .where(column.in_([r[0] for r in keyed])).group_by(column))} if keyed else {}
        return none + [(r[0], *figures[r[0]], r[1]) for r in keyed if r[0] in figures], more

"""The list of a model's records (search, filters, groups, keyset pages) and its bulk and
single deletes."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup, escape

from core import access, references
from core.db import db
from core.security import safe_target

from .. import forms as model_forms
from .keyset import _cursor, _direction, _int, _keyset

PAGE_SIZE = 50
MAX_PAGE = 2**31 // PAGE_SIZE  # an offset any database takes (beyond: an empty page)
COUNT_CAP = 10_000  # beyond this the list says "10,000+" instead of counting every row


class ListMixin:
    def list_view(self):
        group = request.args.get("group")
        if group and group not in self.group_names():
            group = None
        base = self.filtered_query()
        total = db.session.execute(sa.select(sa.func.count()).select_from(
            base.with_only_columns(self.model.id).limit(COUNT_CAP + 1).subquery())).scalar()
        groups, group_pages = self.groups(base, group) if group else (None, None)
        sort_name, descending = self.sort()
        sort_col = self.sql(sort_name)
        nullable = model_forms.column_of(self.model, sort_name).nullable
        query, related = self.with_related(base)
        cursor, direction = request.args.get("after"), "after"
        if request.args.get("before"):
            cursor, direction = request.args.get("before"), "before"
        page = min(max(_int(request.args.get("page"), 1), 1), MAX_PAGE)
        if nullable:  # keyset pagination needs non-null keys; fall back to pages
            query = query.order_by(_direction(sort_col, descending),
                                   self.model.id).offset((page - 1) * PAGE_SIZE)
        else:
            query = _keyset(query, sort_col, self.model.id, descending, cursor, direction)
        rows = db.session.execute(query.limit(PAGE_SIZE + 1)).all()
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        if direction == "before" and cursor and not nullable:
            rows.reverse()
        records = list(self.related_values(rows, related))
        pager = self.pager(records, sort_name, nullable, page, more, cursor, direction)
        bulk = self.bulk_actions()
        can_delete = access.can(self.model_name, "d")
        return render_template(
            "generic/list.html", v=self, records=records, rows=self.cells(records),
            total=total, capped=total > COUNT_CAP,
            groups=groups, group=group, group_pages=group_pages, pager=pager,
            sort_name=sort_name, descending=descending,
            can_create=access.can(self.model_name, "c"),
            can_delete=can_delete, bulk=bulk, selectable=can_delete or bool(bulk),
            can_write=access.can(self.model_name, "w"), args=request.args)

    def cells(self, records) -> list[tuple[int, str, Markup]]:
        """Each record's row as the list shows it: (id, its page's URL, its cells' HTML),
        worked out here rather than by the template per cell (a page of 50 rows is 350
        cells; Jinja's per-cell escaping and lookups were a fifth of the page's time)."""
        columns = self.list_columns()
        shows = [None if c.related else self.shower(c.name) for c in columns]
        opening = [Markup('<td class="col-{}" data-label="{}">').format(
            c.name, self.label(c.name)) for c in columns]
        edit = self.url_around_id("edit")
        rows = []
        for record, related in records:
            href = f"{edit[0]}{record.id}{edit[1]}"
            link = Markup('<a href="{}">').format(href)
            cells = []
            for c, show, td in zip(columns, shows, opening, strict=True):
                value = self.column_value(record, related, c)
                text = escape((value if value is not None else "") if show is None
                              else show(value))
                cells.append(f"{td}{link}{text or '—'}</a></td>" if c.link
                             else f"{td}{text}</td>")
            rows.append((record.id, href, Markup("".join(cells))))
        return rows

    def pager(self, records, sort_name, nullable, page, more, cursor, direction):
        args = {k: v for k, v in request.args.items() if k not in ("after", "before", "page")}
        if not records:
            return {"prev": None, "next": None}
        if nullable:
            return {"prev": self.url("list", **args, page=page - 1) if page > 1 else None,
                    "next": self.url("list", **args, page=page + 1) if more else None}
        first, last = records[0][0], records[-1][0]
        if direction == "before" and cursor:
            has_prev, has_next = more, True
        else:
            has_prev, has_next = bool(cursor), more
        return {
            "prev": self.url("list", **args, before=_cursor(first, sort_name))
            if has_prev else None,
            "next": self.url("list", **args, after=_cursor(last, sort_name))
            if has_next else None,
        }

    def bulk_view(self):
        ids = [i for i in (_int(x, 0) for x in request.form.getlist("ids")) if 0 < i < 2**63]
        action = request.form.get("action")
        back = request.form.get("next") or self.url("list")
        if not ids or (action != "delete" and action not in
                       {a.name for a in self.bulk_actions()}):
            flash(_("Choose records and an action."), "warning")
            return redirect(safe_target(back, self.url("list")))
        if action != "delete":
            self.run_bulk(action, ids[:500])
            return redirect(safe_target(back, self.url("list")))
        access.require(self.model_name, "d")
        # locked and read afresh: a record posted or confirmed meanwhile is refused below
        records = db.session.execute(
            access.select_for(self.model, "d").where(self.model.id.in_(ids))
            .with_for_update(of=self.model).execution_options(populate_existing=True)
        ).scalars().all()
        refusals = [r.delete_refusal() for r in records if hasattr(r, "delete_refusal")]
        if any(refusals):
            flash(next(r for r in refusals if r), "danger")
            return redirect(safe_target(back, self.url("list")))
        chosen = [record.id for record in records]
        try:
            for record in records:
                db.session.delete(record)
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()
            flash(references.refusal(self.model, chosen) or _(
                "Some of these records are still used elsewhere; nothing was deleted."),
                "danger")
            return redirect(safe_target(back, self.url("list")))
        flash(_("%(n)s records deleted.", n=len(records)), "success")
        return redirect(safe_target(back, self.url("list")))

    def delete_view(self, record_id):
        record = access.get_for(self.model, record_id, "d", lock=True)
        refusal = record.delete_refusal() if hasattr(record, "delete_refusal") else None
        if refusal:
            flash(refusal, "danger")
            return redirect(self.url("list"))
        try:
            db.session.delete(record)
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()
            flash(references.refusal(self.model, [record_id]) or _(
                "This record is still used elsewhere and cannot be deleted."), "danger")
            return redirect(self.url("edit", record_id=record_id))
        flash(_("Deleted."), "success")
        return redirect(self.url("list"))

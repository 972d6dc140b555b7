"""Generic views a module declares instead of writing: list, form, board, calendar, report,
CSV export and import. One `ModelViews(...)` per model, registered on the module's
blueprint; every route reads through core.access, so rights and record rules hold."""
from __future__ import annotations

import base64
import calendar as calendar_module
import csv
import io
import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from core import access
from core.db import contains, db
from core.security import safe_target

from . import forms as model_forms

PAGE_SIZE = 50
COUNT_CAP = 10_000  # beyond this the list says "10,000+" instead of counting every row


@dataclass
class Column:
    name: str
    label: str | None = None
    link: bool = False  # the column that opens the record
    related: str | None = None  # for a foreign key: show this column of the target
    total: bool = False  # sum it in groups and reports


@dataclass
class Board:
    field: str  # the stage column
    title: str = "name"
    details: tuple[str, ...] = ()
    total: str | None = None  # a numeric column summed per stage
    stages: object = None  # callable -> [(value, label)]; default: the column's choices
    per_column: int = 40
    move: object = None  # (record, value) -> None: the owner's rule for a move (else set it)


@dataclass
class Calendar:
    date: str
    title: str = "name"
    who: str | None = None  # a reference shown on each item (a team's calendar: whose it is)


@dataclass
class Filter:
    """A filter that is not one column's value: `where(value)` gives the condition and
    `choices()` the values offered (e.g. a tag of a many-to-many, or a team)."""
    name: str
    label: object
    choices: object  # () -> {value: label}
    where: object  # (value: str) -> SQL condition


@dataclass
class Report:
    groups: tuple[str, ...]  # fields to group by (rows and columns of the pivot)
    measures: tuple[str, ...] = ()  # numeric fields to sum; "count" is always offered
    chart: str = "bar"


def team_filter(user_column) -> Filter:
    """Records whose user (`user_column`) is a member of the chosen team: a team's calendar,
    pipeline or queue."""
    from core.auth.models import Team, TeamMember

    def choices():
        return dict(db.session.execute(sa.select(Team.id, Team.name).order_by(Team.name)).all())

    def where(value):
        return user_column.in_(sa.select(TeamMember.user_id).where(
            TeamMember.team_id == _int(value, -1)))

    return Filter("team", _l("Team"), choices, where)


@dataclass
class ModelViews:
    model: type
    name: str  # URL segment and endpoint prefix, e.g. "partners"
    title: str
    columns: list
    fields: list[str] = field(default_factory=list)  # the form's fields
    hidden: tuple[str, ...] = ()  # carried by the form (from the link that opened it)
    form_class: type | None = None
    search: tuple[str, ...] = ()
    filters: tuple = ()  # column names or Filter objects
    group_by: tuple[str, ...] = ()
    order: str = "id"
    board: Board | None = None
    calendar: Calendar | None = None
    report: Report | None = None
    importable: bool = True
    record_title: str = "name"
    # warn(form, record) -> [messages]: shown before saving (e.g. likely duplicates); the
    # user saves anyway by confirming
    warn: object = None
    defaults: object = None  # () -> {field: value} for new records (query args win)
    # validate(form, record) -> {field: message}: the owner's rules beyond the fields' own
    validate: object = None
    where: object = None  # () -> SQL condition: these views show only such records
    forms: bool = True  # False: the module serves its own new/edit pages (same endpoints)

    def __post_init__(self):
        self.columns = [c if isinstance(c, Column) else Column(c) for c in self.columns]
        self.columns[0].link = self.columns[0].link or not any(c.link for c in self.columns)
        self.model_name = self.model.__model__
        self.custom_filters = {f.name: f for f in self.filters if isinstance(f, Filter)}
        self.filters = tuple(f.name if isinstance(f, Filter) else f for f in self.filters)
        if self.form_class is None:
            self.form_class = model_forms.model_form(self.model, self.fields, self.hidden)

    # -- registration --------------------------------------------------------------------
    def register(self, bp) -> None:
        n, m = self.name, self.model_name
        routes = [
            ("", "list", self.list_view, ["GET"], (m, "r")),
            ("/export.csv", "export", self.export_view, ["GET"], (m, "r")),
            ("/<int:record_id>/delete", "delete", self.delete_view, ["POST"], (m, "d")),
            ("/bulk", "bulk", self.bulk_view, ["POST"], (m, "w")),
        ]
        if self.forms:
            routes += [("/new", "new", self.form_view, ["GET", "POST"], (m, "c")),
                       ("/<int:record_id>", "edit", self.form_view, ["GET", "POST"], (m, "r"))]
        if self.importable and self.forms:
            routes.append(("/import", "import", self.import_view, ["GET", "POST"], (m, "c")))
        if self.board:
            routes += [("/board", "board", self.board_view, ["GET"], (m, "r")),
                       ("/<int:record_id>/move", "move", self.move_view, ["POST"], (m, "w"))]
        if self.calendar:
            routes.append(("/calendar", "calendar", self.calendar_view, ["GET"], (m, "r")))
        if self.report:
            routes.append(("/report", "report", self.report_view, ["GET"], (m, "r")))
        for path, suffix, func, methods, (model, perm) in routes:
            view = access.requires(model, perm)(_named(func, f"{n}_{suffix}"))
            bp.add_url_rule(f"/{n}{path}", f"{n}_{suffix}", view, methods=methods)
        self.blueprint = bp.name

    def url(self, suffix: str, **values) -> str:
        return url_for(f"{self.blueprint}.{self.name}_{suffix}", **values)

    def filter_url(self, name: str, value) -> str:
        """The list filtered to one value (from a group's row)."""
        args = {k: v for k, v in request.args.items() if k not in ("group", "after", "before")}
        args[f"f.{name}"] = str(value).lower() if isinstance(value, bool) else value
        return self.url("list", **args)

    def tabs(self) -> list[tuple[str, str, str]]:
        tabs = [("list", _("List"), "list-ul")]
        for kind, icon in (("board", "kanban"), ("calendar", "calendar3"),
                           ("report", "bar-chart")):
            if getattr(self, kind):
                tabs.append((kind, {"board": _("Board"), "calendar": _("Calendar"),
                                    "report": _("Report")}[kind], icon))
        return tabs

    # -- labels and values -------------------------------------------------------------
    def label(self, name: str) -> str:
        if name in self.custom_filters:
            return str(self.custom_filters[name].label)
        for c in self.columns:
            if c.name == name and c.label:
                return str(c.label)
        return str(model_forms.label_of(self.model, name))

    def choices(self, name: str) -> dict | None:
        """value -> label for a column with choices, a boolean or a reference; computed once
        per request (a reference's choices cost a query)."""
        cache = g.setdefault("_erp_choices", {})
        key = (self.model_name, name)
        if key not in cache:
            cache[key] = self._choices(name)
        return cache[key]

    def _choices(self, name: str) -> dict | None:
        if name in self.custom_filters:
            return {str(k): str(v) for k, v in self.custom_filters[name].choices().items()}
        column = model_forms.column_of(self.model, name)
        if column.info.get("choices"):
            return {k: str(v) for k, v in column.info["choices"].items()}
        if isinstance(column.type, sa.Boolean):
            return {"true": _("Yes"), "false": _("No")}
        if column.foreign_keys:
            return {str(key): label for key, label in model_forms.reference_choices(column)}
        return None

    def display(self, name: str, value) -> str:
        if value is None:
            return ""
        choices = self.choices(name)
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if choices and str(value) in choices:
            return choices[str(value)]
        return value

    # -- the list ----------------------------------------------------------------------
    def filtered_query(self, perm: str = "r"):
        """select_for(model) narrowed by the search box and the filter bar."""
        query = access.select_for(self.model, perm)
        if self.where is not None:
            query = query.where(self.where())
        text = (request.args.get("q") or "").strip()
        if text and self.search:
            query = query.where(sa.or_(*[contains(getattr(self.model, f), text)
                                         for f in self.search]))
        for name in self.filters:
            value = request.args.get(f"f.{name}")
            if value in (None, ""):
                continue
            if name in self.custom_filters:
                query = query.where(self.custom_filters[name].where(value))
                continue
            column = getattr(self.model, name)
            if isinstance(model_forms.column_of(self.model, name).type, sa.Boolean):
                query = query.where(column.is_(value == "true"))
            else:
                query = query.where(column == _coerce(self.model, name, value))
        return query

    def with_related(self, query):
        """Add the display column of each foreign key shown, by outer join (no query per
        row)."""
        labels = []
        for c in self.columns:
            if c.related:
                fk = next(iter(model_forms.column_of(self.model, c.name).foreign_keys))
                target = sa.orm.aliased(fk.column.table)
                query = query.outerjoin(target, getattr(self.model, c.name) == target.c.id)
                query = query.add_columns(target.c[c.related].label(f"_{c.name}"))
                labels.append(c.name)
        return query, labels

    def related_values(self, rows, related: list[str]):
        """(record, {name: display value}) for each row from with_related, in the reader's
        language where the target's names are translated (forms.translated_name)."""
        targets = [model_forms.reference_target(model_forms.column_of(self.model, name))
                   for name in related]
        for row in rows:
            yield row[0], {name: model_forms.translated_name(target, row[i + 1])
                           for i, (name, target) in enumerate(zip(related, targets,
                                                                  strict=True))}

    def sort(self):
        text = request.args.get("sort") or self.order
        name = text.lstrip("-")
        sortable = {c.name for c in self.columns if not c.related} | {"id", "created_at"}
        if name not in sortable:
            name, text = "id", "id"
        return name, text.startswith("-")

    def list_view(self):
        group = request.args.get("group")
        if group and group not in self.group_by:
            group = None
        base = self.filtered_query()
        total = db.session.execute(sa.select(sa.func.count()).select_from(
            base.with_only_columns(self.model.id).limit(COUNT_CAP + 1).subquery())).scalar()
        groups = self.groups(base, group) if group else None
        sort_name, descending = self.sort()
        sort_col = getattr(self.model, sort_name)
        nullable = model_forms.column_of(self.model, sort_name).nullable
        query, related = self.with_related(base)
        cursor, direction = request.args.get("after"), "after"
        if request.args.get("before"):
            cursor, direction = request.args.get("before"), "before"
        page = max(_int(request.args.get("page"), 1), 1)
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
        return render_template(
            "generic/list.html", v=self, records=records, total=total, capped=total > COUNT_CAP,
            groups=groups, group=group, pager=pager, sort_name=sort_name, descending=descending,
            can_create=access.can(self.model_name, "c"),
            can_delete=access.can(self.model_name, "d"),
            can_write=access.can(self.model_name, "w"), args=request.args)

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

    def groups(self, base, group: str) -> list[dict]:
        """Counts and sums per value of `group`, in one GROUP BY."""
        column = getattr(self.model, group)
        totals = [c.name for c in self.columns if c.total]
        query = base.with_only_columns(
            column, sa.func.count(self.model.id),
            *[sa.func.coalesce(sa.func.sum(getattr(self.model, t)), 0) for t in totals],
        ).group_by(column).order_by(sa.func.count(self.model.id).desc()).limit(200)
        return [{"value": row[0], "label": self.display(group, row[0]), "count": row[1],
                 "totals": dict(zip(totals, row[2:], strict=True))}
                for row in db.session.execute(query).all()]

    def export_view(self):
        """Everything the filters select (not only this page), as CSV."""
        sort_name, descending = self.sort()
        sort_col = getattr(self.model, sort_name)
        query, related = self.with_related(self.filtered_query())
        query = query.order_by(_direction(sort_col, descending), self.model.id)

        def rows():
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow([self.label(c.name) for c in self.columns])
            yield "\ufeff" + out.getvalue()  # a BOM, so spreadsheet programs read UTF-8
            for record, values in self.related_values(
                    db.session.execute(query.execution_options(yield_per=1000)), related):
                out.seek(0)
                out.truncate()
                writer.writerow([values.get(c.name) if c.related
                                 else _csv_value(getattr(record, c.name)) for c in self.columns])
                yield out.getvalue()

        headers = {"Content-Disposition": f'attachment; filename="{self.name}.csv"'}
        return Response(stream_with_context(rows()), mimetype="text/csv", headers=headers)

    def bulk_view(self):
        ids = [i for i in (_int(x, 0) for x in request.form.getlist("ids")) if 0 < i < 2**63]
        action = request.form.get("action")
        back = request.form.get("next") or self.url("list")
        if not ids or action not in ("delete",):
            flash(_("Choose records and an action."), "warning")
            return redirect(safe_target(back, self.url("list")))
        access.require(self.model_name, "d")
        records = db.session.execute(
            access.select_for(self.model, "d").where(self.model.id.in_(ids))).scalars().all()
        refusals = [r.delete_refusal() for r in records if hasattr(r, "delete_refusal")]
        if any(refusals):
            flash(next(r for r in refusals if r), "danger")
            return redirect(safe_target(back, self.url("list")))
        try:
            for record in records:
                db.session.delete(record)
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()
            flash(_("Some of these records are still used elsewhere; nothing was deleted."),
                  "danger")
            return redirect(safe_target(back, self.url("list")))
        flash(_("%(n)s records deleted.", n=len(records)), "success")
        return redirect(safe_target(back, self.url("list")))

    # -- the form ----------------------------------------------------------------------
    def form_view(self, record_id=None):
        record = access.get_for(self.model, record_id) if record_id else None
        can_write = access.can(self.model_name, "w" if record else "c")
        data = None
        if record is None and request.method == "GET":
            data = dict(self.defaults() if self.defaults else {})
            data.update({k: v for k, v in request.args.items()
                         if k in self.fields or k in self.hidden})
        form = model_forms.prepare(self.form_class(obj=record, data=data), self.model)
        status = 200
        if request.method == "POST":
            if record is not None:
                record = access.get_for(self.model, record_id, "w")
            warnings = []
            if form.validate_on_submit() and self.warn and not request.form.get("confirmed"):
                warnings = self.warn(form, record)
            if warnings:
                return render_template(
                    "generic/form.html", v=self, form=form, record=record, can_write=can_write,
                    warnings=warnings,
                    can_delete=record is not None and access.can(self.model_name, "d")), 409
            valid = form.validate_on_submit()
            for name, message in (self.validate(form, record) if valid and self.validate
                                  else {}).items():
                form[name].errors = [*form[name].errors, message]
                valid = False
            if valid:
                target = record or self.model()
                model_forms.save(form, target)
                if record is None and hasattr(target, "created_by_id"):
                    target.created_by_id = current_user.id
                db.session.add(target)
                try:
                    db.session.flush()
                    if record is None and db.session.execute(
                            access.select_for(self.model, "c").where(
                                self.model.id == target.id)).first() is None:
                        db.session.rollback()
                        abort(403)
                    db.session.commit()
                except sa.exc.IntegrityError:
                    db.session.rollback()
                    flash(_("This conflicts with another record (a duplicate?)."), "danger")
                    status = 409
                else:
                    flash(_("Saved."), "success")
                    return redirect(self.url("edit", record_id=target.id))
            else:
                status = 422
        return render_template(
            "generic/form.html", v=self, form=form, record=record, can_write=can_write,
            can_delete=record is not None and access.can(self.model_name, "d")), status

    def delete_view(self, record_id):
        record = access.get_for(self.model, record_id, "d")
        refusal = record.delete_refusal() if hasattr(record, "delete_refusal") else None
        if refusal:
            flash(refusal, "danger")
            return redirect(self.url("list"))
        try:
            db.session.delete(record)
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()
            flash(_("This record is still used elsewhere and cannot be deleted."), "danger")
            return redirect(self.url("edit", record_id=record_id))
        flash(_("Deleted."), "success")
        return redirect(self.url("list"))

    def title_of(self, record) -> str:
        return str(getattr(record, self.record_title, None) or f"#{record.id}")

    # -- the board ---------------------------------------------------------------------
    def stages(self) -> list[tuple]:
        if self.board.stages:
            return list(self.board.stages())
        return list((self.choices(self.board.field) or {}).items())

    def board_view(self):
        b = self.board
        column = getattr(self.model, b.field)
        base = self.filtered_query()
        total = getattr(self.model, b.total) if b.total else None
        stats = {row[0]: row[1:] for row in db.session.execute(base.with_only_columns(
            column, sa.func.count(self.model.id),
            sa.func.coalesce(sa.func.sum(total), 0) if total is not None else sa.literal(0),
        ).group_by(column)).all()}
        # the first cards of every stage in one statement: each stage's own ORDER BY ...
        # LIMIT (an index walk), joined by UNION ALL; a window over all rows would sort them
        stages = self.stages()
        # id descending too, so an index on (stage, updated_at) gives the order unsorted
        newest = (self.model.updated_at.desc(), self.model.id.desc())
        parts = [sa.select(base.where(column == value).order_by(*newest)
                           .limit(b.per_column).subquery()) for value, _label in stages]
        cards: dict = {}
        if parts:
            union = sa.union_all(*parts).subquery()
            alias = sa.orm.aliased(self.model, union)
            for card in db.session.execute(sa.select(alias).order_by(
                    union.c.updated_at.desc(), union.c.id.desc())).scalars():
                cards.setdefault(str(getattr(card, b.field)), []).append(card)
        shown = [card for found in cards.values() for card in found]
        columns = [{"value": value, "label": str(label), "cards": cards.get(str(value), []),
                    "count": stats.get(value, (0, 0))[0], "total": stats.get(value, (0, 0))[1]}
                   for value, label in stages]
        return render_template("generic/board.html", v=self, columns=columns,
                               labels=self.reference_labels(shown, b.details),
                               can_write=access.can(self.model_name, "w"))

    def reference_labels(self, records, names) -> dict[str, dict]:
        """For the references among `names`: id -> display name of the records shown, one
        query per reference (not the first few hundred of the whole table)."""
        labels: dict[str, dict] = {}
        for name in names:
            column = model_forms.column_of(self.model, name)
            if not column.foreign_keys:
                continue
            labels[name] = model_forms.reference_names(
                column, {getattr(r, name) for r in records} - {None})
        return labels

    def move_view(self, record_id):
        record = access.get_for(self.model, record_id, "w")
        stage = request.form.get("stage", "")
        valid = {str(value): value for value, _label in self.stages()}
        if stage not in valid:
            if request.headers.get("X-Requested-With") == "fetch":
                return {"error": _("Unknown stage.")}, 422
            flash(_("Unknown stage."), "danger")
            return redirect(self.url("board"))
        if self.board.move:
            self.board.move(record, valid[stage])
        else:
            setattr(record, self.board.field, valid[stage])
        db.session.commit()
        if request.headers.get("X-Requested-With") == "fetch":
            return {"id": record.id, "stage": stage}
        return redirect(self.url("board", **request.args))

    # -- the calendar ------------------------------------------------------------------
    def calendar_view(self):
        mode = "week" if request.args.get("mode") == "week" else "month"
        today = date.today()
        try:
            anchor = date.fromisoformat(request.args.get("day", ""))
        except ValueError:
            anchor = today
        if mode == "month":
            first = anchor.replace(day=1)
            start = first - timedelta(days=first.weekday())
            last = first.replace(day=calendar_module.monthrange(first.year, first.month)[1])
            end = last + timedelta(days=6 - last.weekday())
            prev_day = (first - timedelta(days=1)).replace(day=1)
            next_day = last + timedelta(days=1)
        else:
            start = anchor - timedelta(days=anchor.weekday())
            end = start + timedelta(days=6)
            prev_day, next_day = start - timedelta(days=7), start + timedelta(days=7)
        column = getattr(self.model, self.calendar.date)
        is_datetime = isinstance(model_forms.column_of(self.model, self.calendar.date).type,
                                 sa.DateTime)
        low = datetime.combine(start, datetime.min.time()) if is_datetime else start
        high = datetime.combine(end + timedelta(days=1), datetime.min.time()) \
            if is_datetime else end + timedelta(days=1)
        records = db.session.execute(self.filtered_query().where(column >= low, column < high)
                                     .order_by(column).limit(2000)).scalars().all()
        by_day: dict = {}
        for record in records:
            value = getattr(record, self.calendar.date)
            by_day.setdefault(value.date() if is_datetime else value, []).append(record)
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        weeks = [days[i:i + 7] for i in range(0, len(days), 7)]
        return render_template("generic/calendar.html", v=self, weeks=weeks, by_day=by_day,
                               mode=mode, anchor=anchor, today=today, prev_day=prev_day,
                               next_day=next_day, is_datetime=is_datetime)

    # -- the report --------------------------------------------------------------------
    def report_view(self):
        r = self.report
        rows_field = request.args.get("rows") if request.args.get("rows") in r.groups \
            else r.groups[0]
        cols_field = request.args.get("cols") if request.args.get("cols") in r.groups else ""
        if cols_field == rows_field:
            cols_field = ""
        measure = request.args.get("measure") if request.args.get("measure") in r.measures \
            else "count"
        chart = "line" if request.args.get("chart") == "line" else r.chart
        value = sa.func.count(self.model.id) if measure == "count" else \
            sa.func.coalesce(sa.func.sum(getattr(self.model, measure)), 0)
        keys = [getattr(self.model, rows_field)]
        if cols_field:
            keys.append(getattr(self.model, cols_field))
        query = self.filtered_query().with_only_columns(*keys, value).group_by(*keys)
        cells: dict = {}
        col_values: list = []
        for row in db.session.execute(query).all():
            col = row[1] if cols_field else None
            cells[(row[0], col)] = row[-1]
            if col not in col_values:
                col_values.append(col)
        row_values = sorted({k[0] for k in cells}, key=lambda x: (x is None, str(x)))
        col_values.sort(key=lambda x: (x is None, str(x)))
        row_totals = {rv: sum(cells.get((rv, cv), 0) for cv in col_values) for rv in row_values}
        col_totals = {cv: sum(cells.get((rv, cv), 0) for rv in row_values) for cv in col_values}
        chart_data = {
            "type": chart,
            "labels": [str(self.display(rows_field, rv) or "—") for rv in row_values],
            "datasets": [{"label": str(self.display(cols_field, cv) or "—") if cols_field
                          else self.label(measure) if measure != "count" else _("Count"),
                          "data": [float(cells.get((rv, cv), 0)) for rv in row_values]}
                         for cv in col_values],
        }
        return render_template(
            "generic/report.html", v=self, rows_field=rows_field, cols_field=cols_field,
            measure=measure, chart=chart, row_values=row_values, col_values=col_values,
            cells=cells, row_totals=row_totals, col_totals=col_totals,
            grand_total=sum(row_totals.values()), chart_json=json.dumps(chart_data))

    # -- CSV import --------------------------------------------------------------------
    def import_view(self):
        """Upload, preview with each row's errors, then import all rows or none."""
        folder = Path(current_app.instance_path) / "imports"
        fields = [f for f in self.form_class(meta={"csrf": False})._fields if f != "csrf_token"]
        form = FlaskForm()
        if request.method == "GET" or not form.validate_on_submit():
            return render_template("generic/import.html", v=self, fields=fields, preview=None)
        token = request.form.get("token", "")
        if token:  # the second step: import what was previewed
            path = folder / f"{uuid.UUID(token).hex}.json" if _is_uuid(token) else None
            if path is None or not path.is_file():
                flash(_("That import has expired; please upload the file again."), "danger")
                return redirect(self.url("import"))
            rows = json.loads(path.read_text())
            checked = self.check_rows(rows)
            if any(errors for _row, errors in checked):
                flash(_("Nothing was imported: some rows have errors."), "danger")
                return render_template("generic/import.html", v=self, fields=fields,
                                       preview=checked, token=token), 422
            records = []
            for row, _errors in checked:
                record = self.model()
                model_forms.save(row, record)
                if hasattr(record, "created_by_id"):
                    record.created_by_id = current_user.id
                db.session.add(record)
                records.append(record)
            db.session.flush()
            visible = db.session.execute(access.select_for(self.model, "c", self.model.id)
                                         .where(self.model.id.in_([r.id for r in records]))
                                         ).scalars().all()
            if len(visible) != len(records):  # rows outside the importer's own rules
                db.session.rollback()
                flash(_("Nothing was imported: some rows would create records you may not "
                        "create."), "danger")
                return redirect(self.url("import"))
            db.session.commit()
            path.unlink(missing_ok=True)
            flash(_("%(n)s records imported.", n=len(checked)), "success")
            return redirect(self.url("list"))
        upload = request.files.get("file")
        try:
            text = upload.read().decode("utf-8-sig") if upload else ""
            reader = csv.DictReader(io.StringIO(text))
            rows = [dict(r) for r in reader]
            headers = reader.fieldnames or []
        except (UnicodeDecodeError, csv.Error):
            rows, headers = [], []
        labels = {self.label(f).lower(): f for f in fields}
        mapped = {h: (h if h in fields else labels.get(h.strip().lower())) for h in headers}
        if not rows or not any(mapped.values()):
            flash(_("Upload a UTF-8 CSV file whose first line names the columns."), "danger")
            return render_template("generic/import.html", v=self, fields=fields,
                                   preview=None), 422
        rows = [{mapped[h]: (v or "") for h, v in row.items() if h in mapped and mapped[h]}
                for row in rows[:5000]]
        checked = self.check_rows(rows)
        folder.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex
        (folder / f"{token}.json").write_text(json.dumps(rows))
        status = 422 if any(errors for _row, errors in checked) else 200
        return render_template("generic/import.html", v=self, fields=fields, preview=checked,
                               token=token, headers=mapped), status

    def check_rows(self, rows: list[dict]) -> list[tuple]:
        """Each row through the form's own validation: (form, {field: [errors]})."""
        checked = []
        for row in rows:
            form = self.form_class(formdata=MultiDict(row), meta={"csrf": False})
            model_forms.prepare(form, self.model)
            for name, field_ in form._fields.items():  # lookups accept the name or the id
                if getattr(field_, "coerce", None) is model_forms._optional_int and row.get(name):
                    by_name = {label.lower(): key for key, label in field_.choices if key}
                    value = row[name].strip().lower()
                    if value in by_name:
                        field_.data = by_name[value]
                        field_.raw_data = [str(by_name[value])]
            form.validate()
            checked.append((form, {k: list(v) for k, v in form.errors.items()}))
        return checked


def _named(func, name):
    def view(**kwargs):
        return func(**kwargs)

    view.__name__ = name
    view.__doc__ = func.__doc__
    return view


def _int(text, default):
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _coerce(model, name, value):
    column = model_forms.column_of(model, name)
    if isinstance(column.type, sa.Integer):
        number = _int(value, None)
        return number if number is not None and abs(number) < 2**63 else -1
    return value


def _csv_value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if value is None else value


def _direction(column, descending: bool):
    """Empty values last either way, the same on SQLite and PostgreSQL."""
    return (column.desc() if descending else column.asc()).nulls_last()


def _cursor(record, sort_name: str) -> str:
    value = getattr(record, sort_name)
    if isinstance(value, datetime | date):
        value = value.isoformat()
    raw = json.dumps([value if not hasattr(value, "as_tuple") else str(value), record.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _keyset(query, sort_col, id_col, descending: bool, cursor: str | None, direction: str):
    """Seek past the cursor instead of counting an OFFSET, so page 5,000 costs what page 1
    costs."""
    backwards = direction == "before" and cursor
    order_desc = descending != bool(backwards)
    if cursor:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            value, last_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
            if isinstance(sort_col.type, sa.DateTime):
                value = datetime.fromisoformat(value)
            elif isinstance(sort_col.type, sa.Date):
                value = date.fromisoformat(value)
            key = sa.tuple_(sort_col, id_col)
            bound = sa.tuple_(sa.literal(value, sort_col.type), sa.literal(int(last_id)))
            query = query.where(key < bound if order_desc else key > bound)
        except (ValueError, TypeError, json.JSONDecodeError):
            abort(400)
    if order_desc:
        return query.order_by(sort_col.desc(), id_col.desc())
    return query.order_by(sort_col.asc(), id_col.asc())


__all__ = ["Board", "Calendar", "Column", "Filter", "ModelViews", "Report", "team_filter"]

"""The core every generic view shares: the declared fields, route registration, labels and
values, and the query the search box and filters narrow."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import g, request, url_for
from flask_babel import gettext as _

from core import access, limits, translatable
from core.search import matching

from .. import formats
from .. import forms as model_forms
from .actions import VIEWS
from .declarations import Board, Calendar, Column, Filter, Report
from .keyset import _equals, _filter_text


@dataclass
class ViewsCore:
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
    where: object = None  # () -> SQL condition: these views show only such records
    # a rollup of the model (core.rollups) keyed by what the list groups and filters by:
    # its groups read the summed rows (grouping.py)
    counts: type | None = None
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
            ("/bulk", "bulk", self.bulk_view, ["POST"], (m, "r")),
            ("/<int:record_id>/<action>", "do", self.action_view, ["POST"], (m, "r")),
        ]
        if self.forms:
            routes += [("/new", "new", self.form_view, ["GET", "POST"], (m, "c")),
                       ("/<int:record_id>", "edit", self.form_view, ["GET", "POST"], (m, "r"))]
        if self.importable and self.forms:
            routes.append(("/import", "import", self.import_view, ["GET", "POST"], (m, "c")))
        if self.board:
            routes += [("/board", "board", self.board_view, ["GET"], (m, "r")),
                       ("/<int:record_id>/move", "move", self.move_view, ["POST"], (m, "w")),
                       ("/quick", "quick", self.quick_view, ["POST"], (m, "c"))]
        if self.calendar:
            routes += [("/calendar", "calendar", self.calendar_view, ["GET"], (m, "r")),
                       ("/<int:record_id>/reschedule", "reschedule", self.reschedule_view,
                        ["POST"], (m, "w"))]
        if self.report:
            routes.append(("/report", "report", self.report_view, ["GET"], (m, "r")))
        for path, suffix, func, methods, (model, perm) in routes:
            view = access.requires(model, perm)(_named(func, f"{n}_{suffix}"))
            bp.add_url_rule(f"/{n}{path}", f"{n}_{suffix}", view, methods=methods)
        self.blueprint = bp.name
        VIEWS.setdefault(m, [])
        if not any(v is self for v in VIEWS[m]):
            VIEWS[m].append(self)

    def url(self, suffix: str, **values) -> str:
        """The URL of one of these views; values named like url_for's own (_method,
        _external...) come from a request's query and are dropped, never obeyed."""
        return url_for(f"{self.blueprint}.{self.name}_{suffix}",
                       **{k: v for k, v in values.items() if not k.startswith("_")})

    def url_around_id(self, suffix: str) -> tuple[str, str]:
        """A record's URL of these views as the text before and after its id: built once
        for a page's rows or cards, not once each (the largest id marks where it goes)."""
        before, after = self.url(suffix, record_id=limits.MAX_ID).rsplit(str(limits.MAX_ID), 1)
        return before, after

    def filter_url(self, name: str, value) -> str:
        """The list filtered to one value (from a group's row)."""
        args = {k: v for k, v in request.args.items() if k not in ("group", "after", "before")}
        args[f"f.{name}"] = _filter_text(value)
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
        extension = self.extensions().get(name)
        if extension is not None:
            return str(extension.label)
        if name in self.custom_filters:
            return str(self.custom_filters[name].label)
        for c in self.columns:
            if c.name == name and c.label:
                return str(c.label)
        return str(model_forms.label_of(self.model, name))

    def per_request(self, what: str, name: str, make):
        """`make()`, worked out once per request for these views' `what` of `name` (a
        reference's choices cost a query; a board's cards ask for a shower hundreds of
        times)."""
        cache = g.setdefault(f"_erp_{what}", {})
        key = (self.model_name, self.name, name)
        if key not in cache:
            cache[key] = make()
        return cache[key]

    def choices(self, name: str) -> dict | None:
        """value -> label for a column with choices, a boolean or a reference."""
        return self.per_request("choices", name, lambda: self._choices(name))

    def _choices(self, name: str) -> dict | None:
        extension = self.extensions().get(name)
        if extension is not None:
            return extension.offered() or None
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
        """`value` of `name` as shown, through its shower."""
        return self.per_request("showers", name, lambda: self.shower(name))(value)

    def shower(self, name: str):
        """The function showing values of `name` as the reader reads them (a choice's
        label, Yes or No, a formatted number or date): worked out once for a list's column,
        then called per row."""
        choices = self.choices(name) or {}
        column = formats.column_of(self.model, name)

        def show(value) -> str:
            if value is None:
                return ""
            if isinstance(value, bool):
                return _("Yes") if value else _("No")
            label = choices.get(str(value))
            return label if label is not None else formats.shown(column, value)
        return show

    # -- the query -------------------------------------------------------------------
    def filtered_query(self, perm: str = "r"):
        """select_for(model) narrowed by the search box and the filter bar."""
        query = access.select_for(self.model, perm)
        if self.where is not None:
            query = query.where(self.where())
        text = (request.args.get("q") or "").strip()
        if text and self.search:
            query = query.where(matching(self.model, self.search, text, self.sql))
        extensions = self.extensions()
        for name in self.filter_names():
            value = request.args.get(f"f.{name}")
            if value in (None, ""):
                continue
            if name in extensions:
                query = query.where(extensions[name].condition(value))
                continue
            if name in self.custom_filters:
                query = query.where(self.custom_filters[name].where(value))
                continue
            column = self.sql(name)
            if isinstance(model_forms.column_of(self.model, name).type, sa.Boolean):
                query = query.where(column.is_(value == "true"))
            else:
                query = query.where(_equals(self.model, name, column, value))
        return query

    def with_related(self, query):
        """Add the display column of each foreign key shown, by outer join (no query per
        row), and the value of each extension column (module.extend_views)."""
        labels = []
        for c in self.list_columns():
            if c.computed:
                query = query.add_columns(self.extensions()[c.name].value.label(f"_{c.name}"))
                labels.append(c.name)
            elif c.related:
                fk = next(iter(model_forms.column_of(self.model, c.name).foreign_keys))
                target = sa.orm.aliased(fk.column.table)
                query = query.outerjoin(target, getattr(self.model, c.name) == target.c.id)
                query = query.add_columns(translatable.expression(target, c.related)
                                          .label(f"_{c.name}"))
                labels.append(c.name)
        return query, labels

    def related_values(self, rows, related: list[str]):
        """(record, {name: display value}) for each row from with_related (translatable
        names come in the reader's language already)."""
        for row in rows:
            yield row[0], {name: row[i + 1] for i, name in enumerate(related)}

    def sort(self):
        text = request.args.get("sort") or self.order
        name = text.lstrip("-")
        sortable = {c.name for c in self.columns if not c.related} | {"id", "created_at"}
        if name not in sortable:
            name, text = "id", "id"
        return name, text.startswith("-")

    def sql(self, name: str):
        """A column of the model as lists search, filter and sort it: a translatable
        one in the reader's language (core.translatable)."""
        return translatable.expression(self.model, name)

    def column_value(self, record, related: dict, column):
        """A list column's value for a record: joined and computed columns from the row's
        `related` values, the others from the record."""
        if column.related or column.computed:
            return related.get(column.name)
        return self.value(record, column.name)

    def value(self, record, name: str):
        """A column of a record as lists, cards and exports show it: a translatable one in
        the reader's language."""
        return translatable.value(record, name)

    def title_of(self, record) -> str:
        title = getattr(record, self.record_title, None) and self.value(record,
                                                                        self.record_title)
        return str(title or f"#{record.id}")


def _named(func, name):
    def view(**kwargs):
        return func(**kwargs)

    view.__name__ = name
    view.__doc__ = func.__doc__
    return view

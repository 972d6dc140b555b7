"""The report: counts or sums of a model's records pivoted by one or two fields, with a
chart."""
from __future__ import annotations

import json

import sqlalchemy as sa
from flask import render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _

from core.db import db


class ReportMixin:
    def report_view(self):
        r = self.report
        groups = self.report_groups()
        rows_field = request.args.get("rows") if request.args.get("rows") in groups \
            else groups[0]
        cols_field = request.args.get("cols") if request.args.get("cols") in groups else ""
        if cols_field == rows_field:
            cols_field = ""
        measure = request.args.get("measure") if request.args.get("measure") in r.measures \
            else "count"
        chart = "line" if request.args.get("chart") == "line" else r.chart
        value = sa.func.count(self.model.id) if measure == "count" else \
            sa.func.coalesce(sa.func.sum(getattr(self.model, measure)), 0)
        keys = [self.expression(rows_field)]
        if cols_field:
            keys.append(self.expression(cols_field))
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

        def measured(value) -> str:
            """A cell as its measure reads: a count, or a sum shown like its column (money
            with the currency)."""
            return format_decimal(value) if measure == "count" \
                else self.display(measure, value)

        return render_template(
            "generic/report.html", v=self, report_groups=groups, rows_field=rows_field,
            cols_field=cols_field, measure=measure, chart=chart, row_values=row_values,
            col_values=col_values, cells=cells, row_totals=row_totals, col_totals=col_totals,
            grand_total=sum(row_totals.values()), chart_json=json.dumps(chart_data),
            measured=measured)

"""What other modules add to a model's generic views (`module.extend_views`): a value per
record, kept in the adding module's own table, shown as a list and CSV column and offered
as a filter, a list group and a report group while that module is enabled. The owner's
declaration does not change: the views ask the registry for the enabled extensions on each
request, so a disabled module's values vanish with it and its tables are never queried."""
from __future__ import annotations

from dataclasses import dataclass

from core.modules import get_registry

from .declarations import Column


@dataclass
class Extension:
    """`value` is a SQL expression of the record's value, correlated to the model's row
    (a scalar subquery of the extension table), e.g. sales' customer grade on partners."""
    name: str
    label: object
    value: object  # SQL expression, one value (or NULL) per record
    choices: object = None  # {value: label} or () -> {value: label}: offered and shown
    where: object = None  # (value: str) -> SQL condition; default: value == the text
    column: bool = True  # a column of the list and the CSV export (not sortable)
    filter: bool = True
    group: bool = True  # a group of the list and of the report
    module: str = "core"  # set by module.extend_views

    def condition(self, text: str):
        if self.where is not None:
            return self.where(text)
        return self.value == text

    def offered(self) -> dict:
        choices = self.choices() if callable(self.choices) else self.choices
        return {str(k): str(v) for k, v in (choices or {}).items()}


class ExtensionsMixin:
    def extensions(self) -> dict[str, Extension]:
        """name -> what enabled modules add to these views."""
        return {e.name: e for e in get_registry().active_view_extensions(self.model_name)}

    def list_columns(self) -> list[Column]:
        """The declared columns, then the extensions' (computed: not sorted)."""
        return self.columns + [Column(e.name, e.label, computed=True)
                               for e in self.extensions().values() if e.column]

    def filter_names(self) -> tuple[str, ...]:
        return self.filters + tuple(e.name for e in self.extensions().values() if e.filter
                                    and e.name not in self.filters)

    def group_names(self) -> tuple[str, ...]:
        return self.group_by + tuple(e.name for e in self.extensions().values() if e.group
                                     and e.name not in self.group_by)

    def report_groups(self) -> tuple[str, ...]:
        return self.report.groups + tuple(e.name for e in self.extensions().values()
                                          if e.group and e.name not in self.report.groups)

    def expression(self, name: str):
        """The SQL a list group or report groups by: the model's column (in the reader's
        language where translatable) or an extension's value."""
        extension = self.extensions().get(name)
        return extension.value if extension is not None else self.sql(name)

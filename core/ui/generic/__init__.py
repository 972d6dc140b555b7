"""Generic views a module declares instead of writing: list, form, board, calendar, report,
CSV export and import, and the buttons of the model's declared actions. One
`ModelViews(...)` per model, registered on the module's blueprint; every route reads
through core.access, so rights and record rules hold."""
from __future__ import annotations

from .actions import ActionsMixin, record_url
from .base import ViewsCore
from .board import BoardMixin
from .calendar import CalendarMixin
from .declarations import Board, Calendar, Column, Filter, Report, team_filter
from .export import ExportMixin
from .extensions import Extension, ExtensionsMixin
from .form import FormMixin
from .grouping import GroupsMixin
from .listing import ListMixin
from .report import ReportMixin
from .transfer import ImportMixin


class ModelViews(ListMixin, GroupsMixin, FormMixin, ActionsMixin, BoardMixin, CalendarMixin,
                 ReportMixin, ExportMixin, ImportMixin, ExtensionsMixin, ViewsCore):
    """A model's generic views: the fields declared in ViewsCore, each kind of view from its
    mixin; `register(bp)` adds the routes the declaration asks for."""


__all__ = ["Board", "Calendar", "Column", "Extension", "Filter", "ModelViews", "Report",
           "record_url", "team_filter"]

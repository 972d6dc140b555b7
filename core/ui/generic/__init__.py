"""Generic views a module declares instead of writing: list, form, board, calendar, report,
CSV export and import. One `ModelViews(...)` per model, registered on the module's
blueprint; every route reads through core.access, so rights and record rules hold."""
from __future__ import annotations

from .base import ViewsCore
from .board import BoardMixin
from .calendar import CalendarMixin
from .declarations import Board, Calendar, Column, Filter, Report, team_filter
from .form import FormMixin
from .listing import ListMixin
from .report import ReportMixin
from .transfer import TransferMixin


class ModelViews(ListMixin, FormMixin, BoardMixin, CalendarMixin, ReportMixin, TransferMixin,
                 ViewsCore):
    """A model's generic views: the fields declared in ViewsCore, each kind of view from its
    mixin; `register(bp)` adds the routes the declaration asks for."""


__all__ = ["Board", "Calendar", "Column", "Filter", "ModelViews", "Report", "team_filter"]

"""The CSV transfer's files and cells: the preview and rejected-rows files of an import
(instance/imports/, expired by core.tasks.cleanup), and how a value is written to a cell
and read back (never a live spreadsheet formula)."""
from __future__ import annotations

import csv
import uuid
from datetime import date, datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_login import current_user

from core import translatable

FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may take for a formula


def table_rows(table: dict) -> list[dict]:
    """A preview file's rows as {field or "id": cell}, by its mapping."""
    mapping = [(int(i), target) for i, target in table["mapping"].items() if target]
    return [{target: cells[i] for i, target in mapping if i < len(cells)}
            for cells in table["rows"]]


def imports_dir() -> Path:
    return Path(current_app.instance_path) / "imports"


def preview_path(token: str) -> Path | None:
    return imports_dir() / f"{uuid.UUID(token).hex}.json" if _is_uuid(token) else None


def rejected_path(token: str) -> Path | None:
    """The rejected rows of an import, for the user who made it only."""
    if not _is_uuid(token) or not current_user.is_authenticated:
        return None
    return imports_dir() / f"{uuid.UUID(token).hex}.{current_user.id}.rejected.csv"


def checked_path(token: str) -> Path | None:
    """What a background check of a large import found (the preview's rows, how many have
    errors), for the user who uploaded it only."""
    if not _is_uuid(token) or not current_user.is_authenticated:
        return None
    return imports_dir() / f"{uuid.UUID(token).hex}.{current_user.id}.checked.json"


def done_with(token: str) -> None:
    """An import over: its preview file, and what a background check found, removed."""
    for path in (preview_path(token), checked_path(token)):
        if path is not None:
            path.unlink(missing_ok=True)


def write_rejected(table: dict, rejected: list, token: str) -> None:
    """The rejected rows as they came, and why, as a CSV to fix and import again."""
    path = rejected_path(token)
    if path is None:
        return
    if not rejected:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*table["headers"], _("Reason")])
        for number, reason in rejected:
            cells = table["rows"][number - 1]
            writer.writerow([_safe(c) for c in cells] + [""] * (
                len(table["headers"]) - len(cells)) + [reason])


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


def _csv_value(value):
    """A value as the import reads it back: 1/0, ISO dates, tags' names joined by "; "."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "; ".join(str(translatable.value(v, "name") if hasattr(v, "name")
                             else getattr(v, "id", v)) for v in value)
    return "" if value is None else value


def _safe(value):
    """Text a spreadsheet would run as a formula, quoted ('=1+1): never live."""
    if isinstance(value, str) and value.startswith(FORMULA):
        return "'" + value
    return value


def _neutral(value):
    """An exported cell: _safe, and text starting with a quote quoted too, so that the
    import, stripping one quote, gives the text back exactly."""
    if isinstance(value, str) and value.startswith("'"):
        return "'" + value
    return _safe(value)


def _unquote(text: str) -> str:
    """An imported cell: the quote an export put before a formula (or a quote) taken off."""
    if text.startswith("'") and text[1:2] and (text[1:].startswith(FORMULA)
                                                or text[1] == "'"):
        return text[1:]
    return text

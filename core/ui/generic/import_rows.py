"""A CSV import's rows: each checked once through the list's own form (refilled per row),
its references found by name, code or id in one query per column per batch, and saved in
batches through core.records.save_many, the one save path. transfer.py is the page that
uploads, previews and imports a file; these are the rows it works on."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from wtforms import BooleanField, DateTimeLocalField, SelectField

from core import access, choices, limits, records, translatable
from core.db import db
from core.errors import Refusal
from core.numbers import NumberField, WholeNumberField, from_machine
from core.search import fold

from .. import forms as model_forms
from .csvfiles import _unquote, table_rows

PREVIEW_ROWS = 200  # the rows the preview shows; every row is checked and imported
BATCH = 500  # rows checked and saved at a time
CODES = ("code", "login", "ref", "reference")  # columns a reference may be given by


@dataclass
class Checked:
    """One CSV row checked: its errors ({field: [messages]}), the record it updates (its
    `id`), and the values it saves (read once, when the row is checked)."""
    errors: dict
    record: object = None
    values: dict = field(default_factory=dict)


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    rejected: list = field(default_factory=list)  # (row number, reason)

    def message(self) -> str:
        return _("%(n)s records imported: %(created)s created, %(updated)s updated, "
                 "%(rejected)s rejected.", n=self.created + self.updated,
                 created=self.created, updated=self.updated, rejected=len(self.rejected))


class ImportRows:
    """The rows of a generic list's import: read, checked and saved."""

    # -- columns -------------------------------------------------------------------
    def import_fields(self) -> list[str]:
        """The form's fields a CSV column may fill (a translatable one in the reader's
        language: its other languages are not columns)."""
        return [name for name, f in self.form_class(meta={"csrf": False})._fields.items()
                if name != "csrf_token" and f.type != "TranslationsField"]

    def auto_mapping(self, headers: list[str], fields: list[str]) -> tuple[dict, list]:
        """{header's index: field, "id" or "" (ignored)} by the field's name or label
        (case-insensitive), and the headers that name nothing known: neither a field nor
        one of the export's columns (those are ignored without asking)."""
        names = {f.lower(): f for f in fields}
        labels = {self.label(f).strip().lower(): f for f in fields}
        exported = {c.name.lower() for c in self.list_columns()} | {
            self.label(c.name).strip().lower() for c in self.list_columns()}
        mapping, unknown = {}, []
        for index, header in enumerate(headers):
            key = header.strip().lower()
            target = "id" if key == "id" else names.get(key) or labels.get(key) or ""
            mapping[str(index)] = target
            if not target and key and key not in exported:
                unknown.append(header)
        return mapping, unknown

    # -- rows ------------------------------------------------------------------
    def _kinds(self, cache: dict) -> dict:
        """field -> how its cell is read: reference, many, boolean, datetime, number,
        choice or text."""
        if "_kinds" not in cache:
            kinds = {}
            for name, f in self.form_class(meta={"csrf": False})._fields.items():
                if isinstance(f, model_forms.ManyField):
                    kinds[name] = "many"
                elif isinstance(f, SelectField) and f.coerce is model_forms._optional_int:
                    kinds[name] = "reference"
                elif isinstance(f, BooleanField):
                    kinds[name] = "boolean"
                elif isinstance(f, DateTimeLocalField):
                    kinds[name] = "datetime"
                elif isinstance(f, NumberField | WholeNumberField):
                    kinds[name] = "number"  # as exports write it, or as the user does
                elif isinstance(f, SelectField) and name in sa.inspect(self.model).column_attrs:
                    kinds[name] = "choice"  # "SG", "Singapore" or the importer's name
                else:
                    kinds[name] = "text"
            cache["_kinds"] = kinds
        return cache["_kinds"]

    def _row_form(self, mapped: set, cache: dict):
        """One form for every row of a file, refilled per row (a form made per row cost a
        millisecond): the fields the file maps, and the required ones it does not (a new
        record without them is refused as the form would). Choices are checked as cells
        are read, not by scanning each select's options again."""
        key = ("_form", frozenset(mapped))
        if key not in cache:
            full = self.form_class(meta={"csrf": False})
            trimmed = type("ImportForm", (self.form_class,), {})
            for name, f in full._fields.items():
                if name not in mapped and not f.flags.required:
                    setattr(trimmed, name, None)  # not a field any more
            form = trimmed(meta={"csrf": False})
            for f in form._fields.values():
                if isinstance(f, SelectField):  # references and choices, found beforehand
                    f.validate_choice = False
            cache[key] = form
        return cache[key]

    def check_rows(self, rows: list[dict], cache: dict) -> list[Checked]:
        """A batch of rows ({field or "id": cell}) checked, their references and updated
        records read in one query per column first."""
        self._prefetch(rows, cache)
        return [self.check_row(row, cache) for row in rows]

    def check_row(self, row: dict, cache: dict) -> Checked:
        """One row ({field or "id": cell}) through the form's own validation, its
        references found by name, code or id and its `id` read as the record it updates;
        the values it saves read from the form at once."""
        row = dict(row)
        errors: dict = {}
        record = None
        ident = (row.pop("id", "") or "").strip()
        if ident:
            record = self.importable_record(ident, cache)
            if record is None:
                errors["id"] = [_("No record with this id that you may see.")]
        kinds = self._kinds(cache)
        row = {name: cell for name, cell in row.items() if name in kinds}
        pairs = []
        false_words = cache.get("_false") or cache.setdefault(
            "_false", {"0", "false", "no", "n", "off", _("No").lower()})
        for name, cell in row.items():
            text = _unquote(cell or "")
            kind = kinds[name]
            if kind == "many":
                for part in (p.strip() for p in text.split(";")):
                    if part:
                        found, problem = self._resolve(name, part, cache)
                        if problem:
                            errors.setdefault(name, []).append(problem)
                        else:
                            pairs.append((name, str(found)))
                continue
            if kind == "reference" and text.strip():
                found, problem = self._kept(record, name, text.strip()), None
                if found is None:  # not the record's own value (its name may be shared)
                    found, problem = self._resolve(name, text.strip(), cache)
                if problem:
                    errors.setdefault(name, []).append(problem)
                text = "" if problem else str(found)
            elif kind == "boolean":
                text = "" if text.strip().lower() in false_words else text.strip() and "y"
            elif kind == "choice" and text.strip():
                found = self._choice_index(name, cache).get(fold(text.strip()))
                if found is None:
                    errors.setdefault(name, []).append(_("Not a valid choice."))
                text = text.strip() if found is None else str(found)
            elif kind == "number":
                text = from_machine(text)
            elif kind == "datetime" and text.strip():
                with contextlib.suppress(ValueError):  # else the field says what is wrong
                    text = to_user_timezone(datetime.fromisoformat(text.strip())).strftime(
                        "%Y-%m-%dT%H:%M")  # a file's are UTC, as exported; the form's local
            pairs.append((name, text))
        form = self._row_form(set(row), cache)
        form.process(MultiDict(pairs))
        form.validate()
        found = {k: list(v) for k, v in form.errors.items()
                 if record is None or k in row}  # an update keeps the fields not given
        for name, messages in errors.items():
            found[name] = [*messages, *(m for m in found.get(name, ()) if m not in messages)]
        checked = Checked(found, record)
        if not found:
            given = {name for name, cell in row.items() if (cell or "").strip()}
            checked.values = self.row_values(form, set(row), given, record, cache)
        return checked

    def _choice_index(self, name: str, cache: dict) -> dict:
        key = ("_choices", name)
        if key not in cache:
            offered = model_forms.column_of(self.model, name).info.get("choices") or {}
            cache[key] = choices.names_index(offered)
        return cache[key]

    def _kept(self, record, name: str, text: str):
        """The id the updated record's reference holds when `text` names it still."""
        current = getattr(record, name, None) if record is not None else None
        if not current or not hasattr(self.model, name):
            return None
        shown = model_forms.reference_names(model_forms.column_of(self.model, name),
                                            [current]).get(current)
        return current if str(shown).lower() == text.lower() or str(current) == text else None

    def importable_record(self, ident: str, cache: dict | None = None):
        """The record an `id` cell names, if the importer may see it (within these views)."""
        number = limits.parse_id(ident.strip())
        if number is None:
            return None
        if cache is not None and ("_id", number) in cache:
            return cache[("_id", number)]
        return self._importable({number}).get(number)

    def _importable(self, numbers: set) -> dict:
        """{id: record} of those the importer may see (within these views), in one query."""
        query = access.select_for(self.model, "r").where(self.model.id.in_(numbers))
        if self.where is not None:
            query = query.where(self.where())
        return {record.id: record for record in db.session.execute(query).scalars()}

    def _prefetch(self, rows: list[dict], cache: dict) -> None:
        """Read what a batch of rows names, one query per column: the records its `id`
        cells update, and the records its reference cells name."""
        numbers = {n for n in (limits.parse_id((row.get("id") or "").strip())
                               for row in rows) if n is not None}
        numbers -= {key[1] for key in cache if isinstance(key, tuple) and key[0] == "_id"}
        if numbers:
            found = self._importable(numbers)
            cache.update({("_id", n): found.get(n) for n in numbers})
        kinds = self._kinds(cache)
        for name, kind in kinds.items():
            if kind not in ("reference", "many"):
                continue
            texts = set()
            for row in rows:
                cell = _unquote(row.get(name) or "")
                parts = cell.split(";") if kind == "many" else [cell]
                texts.update(t.strip() for t in parts if t.strip())
            wanted = {t for t in texts if (name, t.lower()) not in cache}
            if wanted:
                for text, outcome in self._lookup_many(name, wanted).items():
                    cache[(name, text.lower())] = outcome

    def _resolve(self, name: str, text: str, cache: dict):
        key = (name, text.lower())
        if key not in cache:
            cache[key] = self._lookup_many(name, {text})[text]
        return cache[key]

    def _lookup_many(self, name: str, texts: set[str]) -> dict:
        """{text: (id, None)} of the one readable record each text names by id, name or
        code (case-insensitive), else {text: (None, why)}: one query for the lot."""
        relation = model_forms.relation_of(self.model, name)
        target = relation.mapper.class_ if relation is not None else (
            model_forms.reference_target(model_forms.column_of(self.model, name)))
        numbers = {t: limits.parse_id(t) for t in texts}
        if target is None:
            return {t: (n, None) if n else (None, _("Not a valid choice."))
                    for t, n in numbers.items()}
        from core.modules import get_registry

        columns = sa.inspect(target).column_attrs
        keys = [getattr(target, c) for c in ("name", *CODES) if c in columns]
        if "name" in columns and translatable.is_translatable(target, "name"):
            keys.append(translatable.expression(target, "name"))
        lowered = {t.lower() for t in texts}
        ids = {n for n in numbers.values() if n is not None}
        conditions = [sa.func.lower(key).in_(lowered) for key in keys]
        if ids:
            conditions.append(target.id.in_(ids))
        query = sa.select(target.id, *(sa.func.lower(key) for key in keys)).where(
            sa.or_(*conditions))
        if getattr(target, "__model__", None) in get_registry().access_table():
            query = access.select_for(target, "r", target.id, *(
                sa.func.lower(key) for key in keys)).where(sa.or_(*conditions))
        known, named = set(), {}
        for ident, *names in db.session.execute(query):
            known.add(ident)
            for text in {n for n in names if n in lowered}:
                named.setdefault(text, set()).add(ident)
        found = {}
        for text, number in numbers.items():
            if number is not None and number in known:
                found[text] = (number, None)
                continue
            hits = named.get(text.lower(), set())
            if len(hits) == 1:
                found[text] = (next(iter(hits)), None)
            elif not hits:
                found[text] = (None, _("No record matches “%(text)s”.", text=text))
            else:
                found[text] = (None, _("%(n)s records match “%(text)s”: give its id instead.",
                                       n=len(hits) if len(hits) <= 100 else "100+", text=text))
        return found

    def row_values(self, form, mapped: set, given: set, record, cache: dict) -> dict:
        """The values a checked row saves: the fields its file gives (a new record keeps
        the defaults of the cells left empty), a translatable one in the reader's
        language."""
        skip = [name for name in form._fields
                if name not in mapped or (record is None and name not in given)]
        values = model_forms.form_values(form, self.model, skip=skip,
                                         related=cache.setdefault("_related", {}))
        lang = translatable.current_language()
        if lang != translatable.default_language():
            values = translatable.prepared(self.model, values, record, lang=lang)
        return values

    def run_import(self, table: dict, mode: str = "all", step=None,
                   before_saving=None) -> Outcome:
        """Import every row of a preview file through the one save path, in batches, each
        row checked once. mode "all": all rows or none (every row is checked before any
        is written; a refused row raises Refusal, a row outside the importer's rules
        Forbidden; the caller rolls back); mode "valid": the rows that pass, a batch at a
        time in a savepoint, the others rejected with their reason."""
        cache: dict = {}
        outcome = Outcome()
        batches = self.checked_batches(table_rows(table), cache)
        if mode == "all":  # every row checked before any is written
            checked = []
            for batch in batches:
                if any(row.errors for _n, _cells, row in batch):
                    raise Refusal(_("Nothing was imported: some rows have errors."), "invalid")
                checked.append(batch)
                if step is not None:
                    step(batch[-1][0], _("Checking rows"))
            batches = checked
        if before_saving is not None:
            before_saving()
        for batch in batches:
            if mode == "all":
                saving = [(number, row) for number, _cells, row in batch]
                self._refresh(row.record for _n, row in saving)
                try:
                    self.save_batch(saving, outcome)
                except records.Refused as refused:
                    number, row = saving[min(refused.failures)]
                    raise self._refusal(number, refused.failures[min(refused.failures)],
                                        row) from None
            else:
                saving = []
                for number, _cells, row in batch:
                    if row.errors:
                        outcome.rejected.append((number, self.reason(row.errors)))
                    else:
                        saving.append((number, row))
                while saving:
                    try:
                        with db.session.begin_nested():
                            self.save_batch(saving, outcome)
                        break
                    except records.Refused as refused:
                        for index in sorted(refused.failures):
                            number, row = saving[index]
                            outcome.rejected.append((number, self._reason_of(
                                refused.failures[index], row)))
                        saving = [b for i, b in enumerate(saving) if i not in refused.failures]
                outcome.rejected.sort()
            if step is not None:
                step(batch[-1][0], _("Saving rows"))
        return outcome

    def checked_batches(self, rows: list[dict], cache: dict):
        """The rows checked a batch at a time, as they are asked for: lists of (row number,
        cells, Checked)."""
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            yield list(zip(range(start + 1, start + 1 + len(batch)), batch,
                           self.check_rows(batch, cache), strict=True))

    def _refresh(self, updated) -> None:
        """Read the records a batch updates again in one query (a rollback between the
        checks and the writes expired them: each would reload on its own)."""
        ids = [record.id for record in updated if record is not None]
        if ids:
            db.session.execute(sa.select(self.model).where(self.model.id.in_(ids))).all()

    def save_batch(self, batch: list[tuple[int, Checked]], outcome: Outcome) -> None:
        """Save checked rows through core.records.save_many, counting what it did."""
        records.save_many(self.model, [(row.values, row.record) for _n, row in batch])
        for _number, row in batch:
            if row.record is None:
                outcome.created += 1
            else:
                outcome.updated += 1

    def _reason_of(self, exc: Exception, row: Checked) -> str:
        if isinstance(exc, Refusal):
            return exc.message
        return _("You may not change this record.") if row.record is not None \
            else _("You may not create this record.")

    def _refusal(self, number: int, exc: Exception, row: Checked) -> Exception:
        """Why an all-or-nothing import stops at row `number`: a Refusal; a new record
        outside the importer's rules stays Forbidden (the caller says so for the file)."""
        if isinstance(exc, HTTPException) and row.record is None:
            return exc
        code = exc.code if isinstance(exc, Refusal) else "forbidden"
        return Refusal(_("Nothing was imported: %(reason)s", reason=_(
            "Row %(n)s: %(reason)s", n=number, reason=self._reason_of(exc, row))), code)

    def reason(self, errors: dict) -> str:
        return "; ".join(f"{'id' if name == 'id' else self.label(name)}: {' '.join(messages)}"
                         for name, messages in errors.items())

    def preview_rows(self, table: dict, step=None):
        """Every row checked: (the first PREVIEW_ROWS as (number, cells, errors),
        [(number, reason)] of those with errors)."""
        shown, rejected = [], []
        for batch in self.checked_batches(table_rows(table), {}):
            for number, cells, checked in batch:
                if checked.errors:
                    rejected.append((number, self.reason(checked.errors)))
                if number <= PREVIEW_ROWS:
                    shown.append((number, cells, checked.errors))
            if step is not None:
                step(batch[-1][0], _("Checking rows"))
        db.session.rollback()  # the checks only read
        return shown, rejected

"""Documents with lines: quotations and orders, invoices and credit notes, and next delivery
orders, membership invoices and project billing. One line model (the `DocumentLine`
mixin), one check and computation of a line (`build_lines`), and one editor: the rows the
editor posts are read here (`posted_rows`), in the user's number format, and shown again as
typed when the save is refused (core/templates/generic/_lines.html, static/js/lines.js).

A line is a product or service line, a section title or a note; sections and notes carry
only their text and add nothing to the totals."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask import request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from core import access, numbers, records
from core.db import db
from core.errors import Refusal
from core.limits import MAX_ID
from core.money import line_amounts, money, totals
from core.workflow import workflow_of

Money = sa.Numeric(16, 2)
Quantity = sa.Numeric(16, 3)
Percent = sa.Numeric(5, 2)
PERCENT = {"min": 0, "max": 100}  # a Percent column's info: what core.limits enforces

LINE, SECTION, NOTE = "line", "section", "note"
KINDS = {LINE: _l("Line"), SECTION: _l("Section"), NOTE: _l("Note")}
# what a line may hold, so that amounts fit Numeric(16, 2) with room for the document's sum
LIMIT_QUANTITY = Decimal(10) ** 9
LIMIT_PRICE = Decimal(10) ** 12
LIMIT_AMOUNT = Decimal(10) ** 13
MAX_LINES = 500
# (lowest, highest) of a line's numbers, as build_lines takes them: for the API's fields
LINE_LIMITS = {"quantity": (Decimal("0.001"), LIMIT_QUANTITY - Decimal("0.001")),
               "price_unit": (Decimal(0), LIMIT_PRICE - Decimal("0.01")),
               "discount": (Decimal(0), Decimal(100)), "tax_rate": (Decimal(0), Decimal(100))}


class DocumentLine:
    """The columns every document line has; a module adds its document's foreign key and
    what is its own (an order line's product and cost, an invoice line's order line)."""
    sequence: Mapped[int] = mapped_column(default=10)
    display_type: Mapped[str] = mapped_column(sa.String(16), default=LINE,
                                              server_default=LINE)
    description: Mapped[str] = mapped_column(sa.String(400),
                                             info={"label": _l("Description")})
    quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(1),
                                              info={"label": _l("Quantity"), "min": 0})
    price_unit: Mapped[Decimal] = mapped_column(Money, default=Decimal(0),
                                                info={"label": _l("Unit price"), "min": 0})
    discount: Mapped[Decimal] = mapped_column(Percent, default=Decimal(0),
                                              info={"label": _l("Discount"), **PERCENT})
    tax_rate: Mapped[Decimal] = mapped_column(Percent, default=Decimal(0),
                                              info={"label": _l("Tax rate"), **PERCENT})
    amount_untaxed: Mapped[Decimal] = mapped_column(Money, default=Decimal(0),
                                                    info={"label": _l("Subtotal")})
    amount_tax: Mapped[Decimal] = mapped_column(Money, default=Decimal(0),
                                                info={"label": _l("Tax")})


class DocumentTotals:
    """A document's totals, which `document_totals` of its lines give (the lists sort and
    sum by the total)."""
    amount_untaxed: Mapped[Decimal] = mapped_column(Money, default=Decimal(0),
                                                    info={"label": _l("Untaxed")})
    amount_tax: Mapped[Decimal] = mapped_column(Money, default=Decimal(0),
                                                info={"label": _l("Tax")})
    amount_total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), index=True,
                                                  info={"label": _l("Total")})


def build_lines(line_cls, rows: list[dict], defaults=None) -> list:
    """Check each row ({display_type?, description, quantity, price_unit, discount,
    tax_rate, ...the module's own columns}) and make its line with its amounts, numbered in
    order. `defaults(number, row)` may fill what the row leaves out (a product's name and
    price) and refuse what it cannot use. Refuses (422) naming the line at fault."""
    if len(rows) > MAX_LINES:
        raise Refusal(_("A document holds at most %(n)s lines.", n=MAX_LINES), "invalid")
    built, total = [], Decimal(0)
    for number, row in enumerate(rows, start=1):
        kind = row.get("display_type") or LINE
        if kind not in KINDS:
            raise Refusal(_("Line %(n)s: unknown kind of line.", n=number), "invalid")
        if defaults is not None and kind == LINE:
            row = defaults(number, row)
        description = (row.get("description") or "").strip()
        if not description:
            raise Refusal(_("Line %(n)s: choose a product or write a description.",
                            n=number), "invalid")
        line = line_cls(**{k: v for k, v in row.items() if k in _own_columns(line_cls)})
        line.sequence, line.display_type, line.description = number * 10, kind, description
        if kind != LINE:  # a title or a note: no amounts
            line.quantity = line.price_unit = line.discount = line.tax_rate = Decimal(0)
            line.amount_untaxed = line.amount_tax = Decimal(0)
            built.append(line)
            continue
        quantity = _number(row.get("quantity"), Decimal(1))
        price, discount, tax = (_number(row.get(k), Decimal(0)) for k in (
            "price_unit", "discount", "tax_rate"))
        if None in (quantity, price, discount, tax) or not (
                0 < quantity < LIMIT_QUANTITY and 0 <= price < LIMIT_PRICE
                and 0 <= discount <= 100 and 0 <= tax <= 100):
            raise Refusal(_("Line %(n)s: the quantity must be above zero, the price at least "
                            "zero and the discount and tax between 0 and 100.", n=number),
                          "invalid")
        line.quantity, line.price_unit, line.discount, line.tax_rate = (
            quantity, money(price), discount, tax)
        line.amount_untaxed, line.amount_tax = line_amounts(quantity, line.price_unit,
                                                            discount, tax)
        total += line.amount_untaxed + line.amount_tax
        if line.amount_untaxed >= LIMIT_AMOUNT or total >= 10 * LIMIT_AMOUNT:  # and the sum
            raise Refusal(_("Line %(n)s: the amount is too large.", n=number), "invalid")
        built.append(line)
    return built


def document_totals(lines) -> tuple[Decimal, Decimal, Decimal]:
    return totals([line for line in lines if (line.display_type or LINE) == LINE])


def _number(value, default):
    if value is None or value == "":
        return default
    try:
        number = Decimal(value)
    except (ArithmeticError, TypeError, ValueError):
        return None
    return number if number.is_finite() else None


def _own_columns(line_cls) -> set[str]:
    return {c.key for c in sa.inspect(line_cls).column_attrs} - {"id", "sequence"}


# -- the editor ----------------------------------------------------------------------------
@dataclass
class Editor:
    """How a module's document keeps and shows its lines: the line model and its column
    pointing at the document (`lines`, `parent`), a product picker (`products`: the
    lookup's model name) whose choice fills the line from `price_endpoint` (given
    product_id, partner_id, quantity; answers description, price_unit, discount,
    tax_rate), and which of the module's own columns travel with a line unseen (an invoice
    line's order line)."""
    lines: type
    parent: str
    products: str | None = None
    price_endpoint: str | None = None
    hidden: tuple[str, ...] = ()

    def price_url(self) -> str:
        return url_for(self.price_endpoint) if self.price_endpoint else ""

    def stored(self, document) -> list:
        """The document's lines, in their order."""
        return db.session.execute(sa.select(self.lines).where(
            getattr(self.lines, self.parent) == document.id).order_by(self.lines.sequence)
        ).scalars().all()

    def save(self, model, document, values: dict):
        """The posted lines and note (with `values`), through the one save path
        (core.records), committed: (the saved document, None, None, None); or, refused,
        (None, the document read afresh, the rows to show again, the errors), the rows as
        typed, or the stored ones where the document's state locks its lines (nothing could
        be typed there)."""
        rows, errors = posted_rows(request.form, self)
        if not errors:
            try:
                saved = records.save(model, {**values, "lines": rows,
                                             "note": request.form.get("note") or None},
                                     document)
                db.session.commit()
                return saved, None, None, None
            except Refusal as exc:
                db.session.rollback()
                errors = [str(m) for m in exc.fields.values()] or [exc.message]
        if document is not None:
            document = access.get_for(model, document.id)
            flow = workflow_of(model)
            if flow is not None and flow.locks(document, "lines"):
                rows = self.stored(document)
        return None, document, rows, errors


FIELDS = ("display_type", "product_id", "description", "quantity", "price_unit", "discount",
          "tax_rate")


def posted_rows(form, editor: Editor) -> tuple[list[dict], list[str]]:
    """The lines the editor posted, in their order on the page, with numbers read in the
    user's format; and what could not be read, per line. Each row also keeps what was typed
    (`typed`), so that a refused save shows every line as it was."""
    columns = {name: form.getlist(f"line_{name}") for name in (*FIELDS, *editor.hidden)}
    count = len(columns["description"])
    rows, errors = [], []
    for i in range(count):
        typed = {name: (values[i] if i < len(values) else "").strip()
                 for name, values in columns.items()}
        kind = typed.get("display_type") or LINE
        if kind == LINE and not any(typed[k] for k in (
                "product_id", "description", "quantity", "price_unit")):
            continue  # the empty row the editor keeps at the end
        if kind != LINE and not typed["description"]:
            continue
        row = {"display_type": kind, "description": typed["description"], "typed": typed}
        for name in ("product_id", *editor.hidden):  # ids: ASCII digits an id column holds
            value = typed.get(name, "")
            number = int(value) if value.isascii() and value.isdigit() else 0
            row[name] = number if 0 < number <= MAX_ID else None
        try:
            for name in ("quantity", "price_unit", "discount", "tax_rate"):
                row[name] = parse_number(typed[name]) if typed[name] else None
        except ValueError:
            errors.append(_("Line %(n)s: enter numbers for quantity, price, discount and tax "
                            "as you write them (e.g. %(example)s).", n=len(rows) + 1,
                            example=numbers.example()))
        rows.append(row)
    return rows, errors


def parse_number(text: str) -> Decimal:
    """A line's number as the user writes it (core.numbers), below what a line holds."""
    value = numbers.parse_number(text)
    if abs(value) >= LIMIT_PRICE:
        raise ValueError(text)
    return value


def number_format() -> dict:
    """The symbols the editor's script reads and writes numbers with."""
    return numbers.symbols()

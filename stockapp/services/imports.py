"""Import from Excel (导入): styles and their opening stock (期初库存) from one sheet.

The sheet (``.xlsx`` or ``.csv``) has one row per style × colour: code, name,
category, colour, cost price, sale price, an optional size group, then one column
per size holding the opening quantity, and optional barcode columns per size
(``barcode M`` / ``条码 M``). Headings are taken in Chinese or English. The stock
sheet (web/imports) writes the same layout, with reserved and available columns
and the value at cost, which an import reads past.

``upload`` checks a file and keeps it as parsed, with every error at its row and
column; nothing else is written. ``confirm`` writes the catalogue and posts the
opening stock as one opening-stock document, in one transaction, once.

What an import does with what exists already: an existing style is left as it is
(its name, category and prices too); sizes or colours it lacks are added. A variant
that has never moved takes its opening stock; one with history is left when the
sheet gives its quantity on hand (or none), and refused otherwise, since opening
stock is not a correction: that is a stocktake.
"""

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..database import insert_rows, one_of, run, update_rows, utcnow, write_transaction
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import (
    AuditAction,
    AuditSubject,
    Balance,
    DocumentKind,
    Import,
    ImportState,
    Movement,
    MovementKind,
    SizeGroup,
    Style,
    User,
    Variant,
    document_number,
)
from ..models.catalogue import MAX_CATEGORY, MAX_PRICE, MAX_SIZE
from ..models.imports import MAX_FILENAME
from ..models.ledger import MAX_QTY
from . import audit, catalogue, ledger, warehouses
from .errors import InvalidInput, InvalidTransition, NotFound

# What an upload may be: a 5,000-style sheet of twelve sizes is about 1 MB as .xlsx.
MAX_UPLOAD_BYTES = 16 * 1024 * 1024
# The request that carries it, with its form's other fields and the multipart framing.
MAX_UPLOAD_REQUEST = MAX_UPLOAD_BYTES + 64 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 200
# Errors kept per upload: past this many the file needs fixing anyway.
MAX_ERRORS = 1_000
# Lines posted per ledger call, and ids per IN list: well inside both databases' limits.
CHUNK = 5_000

# The sheet's columns: key, English heading, Chinese heading.
FIELDS = (
    ("code", "code", "款号"),
    ("name", "name", "品名"),
    ("category", "category", "类别"),
    ("colour", "colour", "颜色"),
    ("cost_price", "cost price", "成本价"),
    ("sale_price", "sale price", "售价"),
    ("size_group", "size group", "尺码组"),
)
# Per-size columns, named by a prefix and the size ("barcode M", "条码 M").
BARCODE_PREFIX = {"en": "barcode ", "zh": "条码 "}
# What the stock sheet adds, which an import reads past.
RESERVED_PREFIX = {"en": "reserved ", "zh": "已预留 "}
AVAILABLE_PREFIX = {"en": "available ", "zh": "可用 "}
VALUE_HEADING = {"en": "value at cost", "zh": "成本金额"}
SHEET_TITLE = {"en": "styles", "zh": "款式"}
_ALIASES = {"color": "colour"}
_KEYS = {heading: key for key, en, zh in FIELDS for heading in (en, zh)} | _ALIASES
_IGNORED_PREFIXES = tuple(
    p.lower() for prefixes in (RESERVED_PREFIX, AVAILABLE_PREFIX) for p in prefixes.values()
)
_IGNORED = {v.lower() for v in VALUE_HEADING.values()}
# Text a spreadsheet would run as a formula.
FORMULA_START = ("=", "+", "-", "@")
_WHOLE = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?[0-9]*\.[0-9]+")


def headings(language: str) -> dict[str, str]:
    """The sheet's headings in ``language`` ("zh" or "en"), by key."""
    column = 2 if language == "zh" else 1
    return {entry[0]: entry[column] for entry in FIELDS}


# --- reading a file -------------------------------------------------------------------


class NotASpreadsheet(InvalidInput):
    """The upload is not a sheet this import reads (or is too large)."""

    title = _l("Not a spreadsheet")


@dataclass
class Problem:
    """An error at a row and column of the sheet (row 1 is the headings)."""

    row: int
    column: str
    heading: str
    message: object

    def stored(self) -> dict:
        """As JSON keeps it: the message untranslated, with its values, so that
        every reader sees it in their own language (``message_of``)."""
        return {
            "row": self.row,
            "column": self.column,
            "heading": self.heading,
            "message": self.message._args[0],
            "values": self.message._kwargs,
        }


def message_of(problem: dict):
    """A stored problem's message, translated now."""
    return _l(problem["message"], **problem["values"])


def read_cells(content: bytes) -> list[list]:
    """The cells of the file's first sheet, row by row: ``.xlsx`` (a formula as its
    text, so that it is refused, never run) or ``.csv`` in UTF-8 (with or without a
    BOM) or GB18030, which Chinese Excel writes. Anything else is NotASpreadsheet."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise NotASpreadsheet(_too_large())
    if content[:4] == b"PK\x03\x04":
        rows = _xlsx_rows(content)
    elif content[:4] == b"\xd0\xcf\x11\xe0":
        raise NotASpreadsheet(_l("This is an old .xls workbook: save it as .xlsx and upload that."))
    else:
        rows = _csv_rows(content)
    cells = []
    for row in rows:
        if len(cells) > MAX_ROWS:
            raise NotASpreadsheet(_too_large())
        cells.append(list(row[:MAX_COLUMNS]))
    while cells and all(_blank(v) for v in cells[-1]):
        cells.pop()
    if not cells:
        raise NotASpreadsheet(_l("The sheet is empty."))
    return cells


def _too_large():
    return _l(
        "The file is too large: at most %(rows)d rows and %(mb)d MB.",
        rows=MAX_ROWS,
        mb=MAX_UPLOAD_BYTES // (1024 * 1024),
    )


def _xlsx_rows(content: bytes) -> Iterator[tuple]:
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
        sheet = book.worksheets[0]
        # read_only trusts the sheet's stated size; a wrong one would cut rows off.
        sheet.reset_dimensions()
        rows = list(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS))
        book.close()
    except (zipfile.BadZipFile, KeyError, IndexError, ValueError, OSError, TypeError) as bad:
        raise NotASpreadsheet(_not_a_sheet()) from bad
    return iter(rows)


def _csv_rows(content: bytes) -> Iterator[list]:
    if b"\x00" in content:
        raise NotASpreadsheet(_not_a_sheet())
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise NotASpreadsheet(_not_a_sheet())
    try:
        return iter(list(csv.reader(io.StringIO(text, newline=""))))
    except csv.Error as bad:
        raise NotASpreadsheet(_not_a_sheet()) from bad


def _not_a_sheet():
    return _l("This file is not a spreadsheet: upload an .xlsx workbook or a .csv file.")


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- checking the sheet ---------------------------------------------------------------


@dataclass
class Columns:
    """Where each column of the sheet is: the fields', the sizes' and the barcodes'."""

    fields: dict[str, int] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    barcodes: dict[str, int] = field(default_factory=dict)
    headings: list[str] = field(default_factory=list)

    def at(self, index: int) -> tuple[str, str]:
        return get_column_letter(index + 1), self.headings[index]

    def named(self) -> dict[str, list[str]]:
        """Each field's, size's and barcode column's letter and heading, by name
        (``code``, ``M``, ``barcode M``), for the errors found after parsing."""
        named = {key: index for key, index in self.fields.items()}
        named.update(self.sizes)
        named.update((BARCODE_PREFIX["en"] + size, i) for size, i in self.barcodes.items())
        return {name: list(self.at(index)) for name, index in named.items()}


def parse(cells: list[list]) -> tuple[dict, list[Problem]]:
    """The styles a sheet describes, and what is wrong with it (without looking at the
    catalogue, but for the size groups): ``{"columns": …, "styles": […]}``, each style
    with its fields, its sizes in order and its colours, each with the row it came
    from, its quantities and barcodes per size."""
    columns, problems = _columns(cells[0])
    if problems:
        return {"columns": {}, "styles": []}, problems
    groups = dict(db.session.execute(select(SizeGroup.name, SizeGroup.sizes)).all())
    styles: dict[str, dict] = {}
    seen_barcodes: dict[str, int] = {}
    for number, row in enumerate(cells[1:], start=2):
        if all(_blank(v) for v in row):
            continue
        row = [*row, *([None] * (len(columns.headings) - len(row)))]
        found = _row(number, row, columns, groups, problems)
        if found is None:
            continue
        style = styles.get(found["code"])
        if style is None:
            style = styles[found["code"]] = {
                **{k: found[k] for k in ("code", "name", "category", "cost_price", "sale_price")},
                "group": found["group"],
                "sizes": [],
                "colours": [],
            }
        elif found["group"] != style["group"]:
            _fail(problems, number, columns, "size_group", _l("A style has one size group."))
            continue
        if any(c["colour"] == found["colour"] for c in style["colours"]):
            _fail(
                problems,
                number,
                columns,
                "colour",
                _l(
                    "Duplicate SKU: %(code)s %(colour)s is on an earlier row.",
                    code=found["code"],
                    colour=found["colour"] or "—",
                ),
            )
            continue
        for size, barcode in found["barcodes"].items():
            if barcode in seen_barcodes:
                index = columns.barcodes[size]
                _add(
                    problems,
                    Problem(
                        number,
                        *columns.at(index),
                        _l(
                            "Duplicate barcode: %(barcode)s is on row %(row)d too.",
                            barcode=barcode,
                            row=seen_barcodes[barcode],
                        ),
                    ),
                )
            seen_barcodes[barcode] = number
        sizes = groups[found["group"]] if found["group"] else found["sizes"]
        style["sizes"] = [*style["sizes"], *(s for s in sizes if s not in style["sizes"])]
        style["colours"].append(
            {
                "colour": found["colour"],
                "row": number,
                "qty": found["qty"],
                "barcodes": found["barcodes"],
            }
        )
    if not styles and not problems:
        problems.append(Problem(2, "A", columns.headings[0], _l("The sheet has no styles.")))
    return {"columns": columns.named(), "styles": list(styles.values())}, problems


def _columns(heading_row: list) -> tuple[Columns, list[Problem]]:
    columns = Columns(headings=["" if v is None else str(v).strip() for v in heading_row])
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, heading in enumerate(columns.headings):
        lowered = heading.lower()
        if not heading or lowered.startswith(_IGNORED_PREFIXES) or lowered in _IGNORED:
            continue
        if lowered in seen:
            problems.append(
                Problem(1, *columns.at(index), _l("This heading is in the sheet twice."))
            )
            continue
        seen.add(lowered)
        barcode = next(
            (heading[len(p) :].strip() for p in BARCODE_PREFIX.values() if lowered.startswith(p)),
            None,
        )
        if lowered in _KEYS:
            columns.fields[_KEYS[lowered]] = index
        elif barcode is not None:
            columns.barcodes[barcode] = index
        elif heading.startswith(FORMULA_START):
            problems.append(Problem(1, *columns.at(index), _formula()))
        elif len(heading) > MAX_SIZE:
            problems.append(
                Problem(
                    1, *columns.at(index), _l("A size is at most %(n)d characters.", n=MAX_SIZE)
                )
            )
        else:
            columns.sizes[heading] = index
    for key in ("code", "name"):
        if key not in columns.fields:
            english, chinese = next(h for k, *h in FIELDS if k == key)
            problems.append(
                Problem(
                    1,
                    "A",
                    columns.headings[0] if columns.headings else "",
                    _l(
                        "The sheet has no %(english)s / %(chinese)s column.",
                        english=english,
                        chinese=chinese,
                    ),
                )
            )
    if not columns.sizes and not problems:
        problems.append(Problem(1, "A", columns.headings[0], _l("The sheet has no size columns.")))
    for size, index in columns.barcodes.items():
        if size not in columns.sizes:
            problems.append(
                Problem(1, *columns.at(index), _l("There is no size column %(size)s.", size=size))
            )
    return columns, problems


def _row(number, row, columns: Columns, groups, problems) -> dict | None:
    """One row's values, checked cell by cell; None when a cell is wrong."""
    before = len(problems)
    text = {}
    for key in ("code", "name", "category", "colour", "size_group"):
        index = columns.fields.get(key)
        text[key] = "" if index is None else _text(number, columns, index, row[index], problems)
    prices = {}
    for key in ("cost_price", "sale_price"):
        index = columns.fields.get(key)
        prices[key] = (
            None if index is None else _price(number, columns, index, row[index], problems)
        )
    if not text["code"] and len(problems) == before:
        _fail(problems, number, columns, "code", _l("Give the style code."))
    if len(text["category"]) > MAX_CATEGORY:
        _fail(
            problems, number, columns, "category", _l("At most %(n)d characters.", n=MAX_CATEGORY)
        )
    group = text["size_group"]
    if group and group not in groups:
        _fail(
            problems,
            number,
            columns,
            "size_group",
            _l("There is no size group %(name)s.", name=group),
        )
    qty, barcodes = {}, {}
    for size, index in columns.sizes.items():
        value = _quantity(number, columns, index, row[index], problems)
        if value is None:
            continue
        if group in groups and size not in groups[group]:
            _add(
                problems,
                Problem(
                    number,
                    *columns.at(index),
                    _l("Size %(size)s is not in size group %(group)s.", size=size, group=group),
                ),
            )
            continue
        qty[size] = value
    for size, index in columns.barcodes.items():
        value = _text(number, columns, index, row[index], problems)
        if value:
            barcodes[size] = value
    if not group and not qty and len(problems) == before:
        index = next(iter(columns.sizes.values()))
        _add(
            problems,
            Problem(number, *columns.at(index), _l("Give a quantity (0 or more) for each size.")),
        )
    if len(problems) > before:
        return None
    return {
        "code": text["code"],
        "name": text["name"],
        "category": text["category"],
        "colour": text["colour"],
        "group": group,
        "cost_price": prices["cost_price"],
        "sale_price": prices["sale_price"],
        "sizes": list(qty),
        "qty": {size: n for size, n in qty.items() if n},
        "barcodes": barcodes,
    }


def _text(number, columns, index, value, problems) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        value = value.isoformat()
    value = str(value).strip()
    if value.startswith(FORMULA_START):
        _add(problems, Problem(number, *columns.at(index), _formula()))
        return ""
    return value


def _formula():
    return _l("This looks like a formula (it starts with = + - or @): type the value itself.")


def _quantity(number, columns, index, value, problems) -> int | None:
    """A cell's opening quantity: None when blank; a whole number from 0 to MAX_QTY."""
    if _blank(value):
        return None
    problem = None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        problem = _l("Enter a whole number of pieces.")
    else:
        text = str(value).strip() if isinstance(value, str) else None
        if text is not None and _WHOLE.fullmatch(text):
            value = int(text)
        elif text is not None and _DECIMAL.fullmatch(text):
            value = float(text)
        elif text is not None:
            problem = _l("Enter a whole number of pieces.")
        if problem is None and isinstance(value, float):
            if not value.is_integer():
                problem = _l("Enter a whole number of pieces, not a fraction.")
            else:
                value = int(value)
        if problem is None and value < 0:
            problem = _l("Opening stock cannot be negative.")
        elif problem is None and value > MAX_QTY:
            problem = _l("At most %(n)d pieces.", n=MAX_QTY)
    if problem is not None:
        _add(problems, Problem(number, *columns.at(index), problem))
        return None
    return value


def _price(number, columns, index, value, problems) -> str | None:
    if _blank(value):
        return None
    try:
        price = Decimal(str(value).strip())
    except InvalidOperation:
        price = None
    if price is None or not price.is_finite() or price < 0 or price > MAX_PRICE:
        _add(problems, Problem(number, *columns.at(index), _l("Enter a price, such as 129.00.")))
        return None
    return str(price.quantize(Decimal("0.01")))


def _fail(problems, number, columns: Columns, key: str, message) -> None:
    index = columns.fields.get(key)
    column, heading = columns.at(index) if index is not None else ("A", "")
    _add(problems, Problem(number, column, heading, message))


def _add(problems: list[Problem], problem: Problem) -> None:
    if len(problems) < MAX_ERRORS:
        problems.append(problem)


# --- against the catalogue ------------------------------------------------------------


@dataclass
class Plan:
    """What confirming would do: the styles to create, the variants to add to existing
    styles, the opening stock, and the errors that stop it."""

    new_styles: list[dict] = field(default_factory=list)
    extended: list[dict] = field(default_factory=list)
    # (style code, colour, size, pieces) for existing variants that take opening stock.
    stocked: list[tuple[str, str, str, int]] = field(default_factory=list)
    left_styles: int = 0
    left_variants: int = 0
    problems: list[Problem] = field(default_factory=list)

    def counts(self) -> dict:
        new_variants = sum(_variant_count(s) for s in self.new_styles) + sum(
            len(s["new"]) for s in self.extended
        )
        pieces = sum(
            n for s in self.new_styles for c in s["colours"] for n in c["qty"].values()
        ) + sum(n for s in self.extended for n in s["new_qty"].values())
        pieces += sum(n for *_, n in self.stocked)
        return {
            "new_styles": len(self.new_styles),
            "extended_styles": len(self.extended),
            "left_styles": self.left_styles,
            "new_variants": new_variants,
            "stocked_variants": len(self.stocked),
            "left_variants": self.left_variants,
            "pieces": pieces,
            "errors": len(self.problems),
        }


def _variant_count(style: dict) -> int:
    return len(style["sizes"]) * len(style["colours"])


def against_catalogue(sheet: dict, *, rules: bool = True) -> Plan:
    """Sort the sheet's styles into new, extended and left ones, and find what the
    catalogue refuses: a SKU or barcode in use, opening stock for a variant that has
    moved already, and (``rules``) a code, name, size or colour that
    ``catalogue.style_errors`` refuses, which only the sheet decides (a confirm checks
    what the catalogue may have changed since). A fixed number of queries per
    ``CHUNK`` styles, but for ``style_errors``' own."""
    plan = Plan()
    styles, named = sheet["styles"], sheet["columns"]

    def problem(row: int, name: str, message) -> Problem:
        column, heading = named.get(name, ("", name))
        return Problem(row, column, heading, message)

    codes = [s["code"] for s in styles]
    existing = _existing_variants(codes)
    taken_skus, taken_barcodes = _taken([s for s in styles if s["code"] not in existing])
    for style in styles:
        if style["code"] in existing:
            _existing_style(style, existing[style["code"]], plan, problem)
            continue
        first_row = style["colours"][0]["row"]
        barcodes = {
            (c["colour"], size): b for c in style["colours"] for size, b in c["barcodes"].items()
        }
        colours = [c["colour"] for c in style["colours"] if c["colour"]]
        errors = {}
        if rules:
            errors = catalogue.style_errors(
                style["code"], style["name"], style["sizes"], colours, {}
            )
        if any(c["colour"] == "" for c in style["colours"]) and len(style["colours"]) > 1:
            errors["colours"] = _l("Give every row of a style a colour, or none.")
        for key, message in errors.items():
            plan.problems.append(problem(first_row, _COLUMN_OF.get(key, key), message))
        for colour in style["colours"]:
            for size in colour["qty"]:
                if size not in style["sizes"]:
                    plan.problems.append(
                        problem(colour["row"], size, _l("Size %(size)s is unknown.", size=size))
                    )
            for size in style["sizes"]:
                sku = catalogue.sku_of(style["code"], colour["colour"], size)
                if sku in taken_skus:
                    plan.problems.append(
                        problem(
                            colour["row"],
                            "colour",
                            _l("Duplicate SKU: %(sku)s is in use already.", sku=sku),
                        )
                    )
        for (_, size), barcode in barcodes.items():
            if barcode in taken_barcodes or not catalogue.BARCODE.fullmatch(barcode):
                row = next(c["row"] for c in style["colours"] if c["barcodes"].get(size) == barcode)
                plan.problems.append(
                    problem(
                        row, BARCODE_PREFIX["en"] + size, _barcode_message(barcode, taken_barcodes)
                    )
                )
        plan.new_styles.append(style)
    return plan


# The column of each field style_errors names.
_COLUMN_OF = {"colours": "colour", "sizes": "size_group", "barcodes": "code"}


def _barcode_message(barcode: str, taken: set[str]):
    if barcode in taken:
        return _l("Duplicate barcode: %(barcode)s is in use already.", barcode=barcode)
    return _l("Barcodes are 4–32 letters, digits or dashes.")


def _existing_style(style: dict, variants: dict, plan: Plan, problem) -> None:
    """A style the catalogue has: it is left; new sizes and colours are added; opening
    stock goes only to variants without history."""
    known_colours = {colour for colour, _ in variants}
    known_sizes = {size for _, size in variants}
    new, new_qty = [], {}
    for colour in style["colours"]:
        for size in style["sizes"]:
            key = (colour["colour"], size)
            pieces = colour["qty"].get(size, 0)
            found = variants.get(key)
            if found is None:
                new.append(key)
                if pieces:
                    new_qty[f"{colour['colour']}\x1f{size}"] = pieces
                continue
            barcode = colour["barcodes"].get(size)
            if barcode and barcode != found["barcode"]:
                plan.problems.append(
                    problem(
                        colour["row"],
                        BARCODE_PREFIX["en"] + size,
                        _l(
                            "%(sku)s has barcode %(barcode)s already.",
                            sku=found["sku"],
                            barcode=found["barcode"] or "—",
                        ),
                    )
                )
            if found["moved"]:
                if size in colour["qty"] and pieces != found["on_hand"]:
                    plan.problems.append(
                        problem(
                            colour["row"],
                            size,
                            _l(
                                "%(sku)s has %(on_hand)d on hand already: opening stock is "
                                "only for variants without movements. Correct it with a "
                                "stocktake.",
                                sku=found["sku"],
                                on_hand=found["on_hand"],
                            ),
                        )
                    )
                plan.left_variants += 1
            elif pieces:
                plan.stocked.append((style["code"], colour["colour"], size, pieces))
            else:
                plan.left_variants += 1
    if new:
        plan.extended.append(
            {
                "code": style["code"],
                "new": new,
                "new_qty": new_qty,
                "sizes": [s for s in style["sizes"] if s not in known_sizes],
                "colours": [
                    c["colour"] for c in style["colours"] if c["colour"] not in known_colours
                ],
                "barcodes": {
                    f"{c['colour']}\x1f{size}": b
                    for c in style["colours"]
                    for size, b in c["barcodes"].items()
                    if (c["colour"], size) in new
                },
            }
        )
    else:
        plan.left_styles += 1


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing_variants(codes: list[str]) -> dict[str, dict]:
    """Per existing style code: {(colour, size): sku, barcode, on hand, moved}."""
    found: dict[str, dict] = {}
    for chunk in _chunks(codes):
        rows = db.session.execute(
            select(
                Style.code, Variant.id, Variant.colour, Variant.size, Variant.sku, Variant.barcode
            )
            .join(Variant, Variant.style_id == Style.id)
            .where(one_of(Style.code, chunk))
        ).all()
        for code in db.session.scalars(select(Style.code).where(one_of(Style.code, chunk))):
            found.setdefault(code, {})
        ids = [r.id for r in rows]
        on_hand = dict(
            db.session.execute(
                select(Balance.variant_id, func.sum(Balance.qty))
                .where(one_of(Balance.variant_id, ids))
                .group_by(Balance.variant_id)
            ).all()
        )
        moved = set(
            db.session.scalars(
                select(Movement.variant_id).where(one_of(Movement.variant_id, ids)).distinct()
            )
        )
        for r in rows:
            found[r.code][(r.colour, r.size)] = {
                "sku": r.sku,
                "barcode": r.barcode,
                "on_hand": int(on_hand.get(r.id, 0)),
                "moved": r.id in moved,
            }
    return found


def _taken(new_styles: list[dict]) -> tuple[set[str], set[str]]:
    """The SKUs and barcodes of the new styles' variants that the catalogue has already."""
    skus = [
        catalogue.sku_of(s["code"], c["colour"], size)
        for s in new_styles
        for c in s["colours"]
        for size in s["sizes"]
    ]
    barcodes = [b for s in new_styles for c in s["colours"] for b in c["barcodes"].values()]
    taken_skus: set[str] = set()
    taken_barcodes: set[str] = set()
    for chunk in _chunks(skus):
        taken_skus.update(db.session.scalars(select(Variant.sku).where(one_of(Variant.sku, chunk))))
    for chunk in _chunks(barcodes):
        taken_barcodes.update(
            db.session.scalars(select(Variant.barcode).where(one_of(Variant.barcode, chunk)))
        )
    return taken_skus, taken_barcodes


# --- upload and confirm ---------------------------------------------------------------


def upload(*, content: bytes, filename: str, actor_id: int) -> dict:
    """Check an uploaded sheet and keep it, parsed, for the manager to confirm; return
    the preview (``preview``). A file that is not a spreadsheet is NotASpreadsheet and
    nothing is kept; a sheet with errors is kept with them (``invalid``)."""
    cells = read_cells(content)
    sheet, problems = parse(cells)
    plan = against_catalogue(sheet) if not problems else Plan()
    problems = sorted([*problems, *plan.problems], key=lambda p: (p.row, p.column))[:MAX_ERRORS]
    counts = plan.counts() | {"errors": len(problems), "rows": len(cells) - 1}
    with write_transaction() as session:
        row = Import(
            filename=(filename or "")[:MAX_FILENAME],
            sha256=hashlib.sha256(content).hexdigest(),
            state=ImportState.INVALID if problems else ImportState.READY,
            uploaded_by=actor_id,
            uploaded_at=utcnow(),
            counts=counts,
            rows=sheet if not problems else {"columns": {}, "styles": []},
            errors=[p.stored() for p in problems],
        )
        session.add(row)
        session.flush()
        import_id = row.id
    return preview(import_id)


def preview(import_id: int) -> dict:
    """An upload as the preview shows it: its state and counts, its errors (in the
    reader's language), the styles it would create or extend, and, when the same file
    was imported already, when and by whom."""
    row = db.session.get(Import, import_id)
    if row is None:
        raise NotFound(_l("Import %(id)s does not exist.", id=import_id))
    names = _user_names({row.uploaded_by, row.confirmed_by})
    earlier = None
    if row.state != ImportState.IMPORTED:
        earlier = db.session.execute(
            select(Import.id, Import.confirmed_at, User.username)
            .join(User, User.id == Import.confirmed_by)
            .where(Import.imported_sha256 == row.sha256)
        ).first()
    return {
        "id": row.id,
        "filename": row.filename,
        "state": row.state,
        "uploaded_by": names.get(row.uploaded_by, ""),
        "uploaded_at": row.uploaded_at,
        "confirmed_by": names.get(row.confirmed_by),
        "confirmed_at": row.confirmed_at,
        "document_id": row.document_id,
        "document": (
            document_number(DocumentKind.OPENING, row.document_id) if row.document_id else None
        ),
        "counts": row.counts,
        "errors": [{**p, "message": message_of(p)} for p in row.errors],
        "styles": row.rows["styles"],
        "already_imported": (
            {"id": earlier.id, "at": earlier.confirmed_at, "by": earlier.username}
            if earlier
            else None
        ),
        "can_confirm": row.state == ImportState.READY and earlier is None,
    }


def _user_names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    return dict(db.session.execute(select(User.id, User.username).where(User.id.in_(wanted))).all())


class AlreadyImported(InvalidTransition):
    title = _l("Already imported")


def confirm(import_id: int, *, actor_id: int) -> dict:
    """Write an upload's styles and post its opening stock as one opening-stock
    document, in one transaction; return the preview as imported.

    The upload is claimed by a guarded UPDATE (ready → imported) in the same
    transaction, and its file's SHA-256 is unique among imported uploads: two
    confirms, of one upload or of the same file uploaded twice, import once; the
    later one is AlreadyImported. The sheet is checked against the catalogue again
    inside the transaction, so a style created since the preview is refused too.
    Any failure writes nothing, the claim included.
    """
    try:
        with write_transaction() as session:
            row = session.get(Import, import_id)
            if row is None:
                raise NotFound(_l("Import %(id)s does not exist.", id=import_id))
            if row.state == ImportState.INVALID:
                raise InvalidTransition(_l("Fix the errors in the file and upload it again."))
            now = utcnow()
            claimed = run(
                update(Import.__table__)
                .where(Import.id == import_id, Import.state == ImportState.READY)
                .values(
                    state=ImportState.IMPORTED,
                    confirmed_by=actor_id,
                    confirmed_at=now,
                    imported_sha256=row.sha256,
                )
            ).rowcount
            if not claimed:
                raise _already(row.sha256)
            plan = against_catalogue(row.rows, rules=False)
            if plan.problems:
                raise InvalidInput(
                    _l("The catalogue changed since this file was checked: upload it again."),
                    {"file": str(message_of(plan.problems[0].stored()))},
                )
            document_id = _write(plan, actor_id=actor_id, import_id=import_id)
            run(
                update(Import.__table__)
                .where(Import.id == import_id)
                .values(document_id=document_id)
            )
            session.expire(row)
    except IntegrityError as clash:
        db.session.rollback()
        row = db.session.get(Import, import_id)
        raise _already(row.sha256) from clash
    return preview(import_id)


def _already(sha256: str) -> AlreadyImported:
    earlier = db.session.execute(
        select(Import.confirmed_at, User.username)
        .join(User, User.id == Import.confirmed_by)
        .where(Import.imported_sha256 == sha256)
    ).first()
    if earlier is None:  # the other confirm has not committed yet: it will, or roll back
        return AlreadyImported(_l("This file is being imported already."))
    return AlreadyImported(
        _l(
            "This file was imported already, on %(at)s by %(user)s.",
            at=earlier.confirmed_at.strftime("%Y-%m-%d %H:%M"),
            user=earlier.username,
        )
    )


_styles = Style.__table__
_variants = Variant.__table__


def _write(plan: Plan, *, actor_id: int, import_id: int) -> int | None:
    """The plan's styles, variants, audit rows and opening stock, in the caller's
    transaction; the opening-stock document's id (None when no stock)."""
    session = db.session()
    now = utcnow()
    style_ids = {
        code: style_id
        for style_id, code in insert_rows(
            _styles,
            [
                {
                    "code": s["code"],
                    "name": s["name"],
                    "category": s["category"],
                    "unit": "",
                    "cost_price": _decimal(s["cost_price"]),
                    "sale_price": _decimal(s["sale_price"]),
                    "active": True,
                    "created_at": now,
                }
                for s in plan.new_styles
            ],
            "id",
            "code",
        )
    }
    wanted: list[tuple[str, str, str, int]] = []  # (code, colour, size, pieces)
    variants = []
    for style in plan.new_styles:
        for colour_rank, colour in enumerate(style["colours"]):
            for size_rank, size in enumerate(style["sizes"]):
                sku = catalogue.sku_of(style["code"], colour["colour"], size)
                variants.append(
                    {
                        "style_id": style_ids[style["code"]],
                        "colour": colour["colour"],
                        "colour_rank": colour_rank,
                        "size": size,
                        "size_rank": size_rank,
                        "sku": sku,
                        "barcode": colour["barcodes"].get(size),
                        "archived": False,
                    }
                )
                if colour["qty"].get(size):
                    wanted.append((style["code"], colour["colour"], size, colour["qty"][size]))
        audit.record(
            session,
            actor_id=actor_id,
            subject=AuditSubject.PRODUCT,
            key=style["code"],
            action=AuditAction.CREATED,
            after={
                "name": style["name"],
                "category": style["category"],
                "cost_price": style["cost_price"],
                "sale_price": style["sale_price"],
                "sizes": style["sizes"],
                "colours": [c["colour"] for c in style["colours"] if c["colour"]],
                "import": import_id,
            },
        )
    given = {v["sku"] for v in variants if v["barcode"]}
    ids = {sku: variant_id for variant_id, sku in insert_rows(_variants, variants, "id", "sku")}
    update_rows(
        _variants,
        ("id",),
        [
            {"id": variant_id, "barcode": catalogue.internal_barcode(variant_id)}
            for sku, variant_id in ids.items()
            if sku not in given
        ],
    )
    for style in plan.extended:
        _extend(style, actor_id=actor_id, import_id=import_id)
        wanted.extend((style["code"], *key.split("\x1f"), n) for key, n in style["new_qty"].items())
    wanted.extend(plan.stocked)
    if not wanted:
        return None
    skus = [catalogue.sku_of(code, colour, size) for code, colour, size, _ in wanted]
    ids.update(_variant_ids([sku for sku in skus if sku not in ids]))  # the new ones are known
    location = warehouses.default_location_id()
    lines = [ledger.Line(ids[sku], location, n) for sku, (*_, n) in zip(skus, wanted, strict=True)]
    note = str(_l("Opening stock, import %(id)d", id=import_id))
    chunks = list(_chunks(lines))
    posted = ledger.post_document(
        DocumentKind.OPENING,
        chunks[0],
        movement_kind=MovementKind.OPENING,
        operator_id=actor_id,
        note=note,
    )
    document_id = posted["document"]["id"]
    for chunk in chunks[1:]:
        ledger.post(
            chunk,
            kind=MovementKind.OPENING,
            operator_id=actor_id,
            document_id=document_id,
            note=note,
        )
    return document_id


def _extend(style: dict, *, actor_id: int, import_id: int) -> None:
    """New sizes and colours of an existing style, through the catalogue's own
    ``add_variants``; the sheet's barcodes for them; an audit row of the change."""
    session = db.session()
    style_id = session.scalar(select(Style.id).where(Style.code == style["code"]))
    found = session.get(Style, style_id)
    before = {"sizes": found.sizes, "colours": [c for c in found.colours if c]}
    catalogue.add_variants(style_id, sizes=style["sizes"], colours=style["colours"])
    session.expire(found)
    for key, barcode in style["barcodes"].items():
        colour, size = key.split("\x1f")
        run(
            update(_variants)
            .where(
                _variants.c.style_id == style_id,
                _variants.c.colour == colour,
                _variants.c.size == size,
            )
            .values(barcode=barcode)
        )
    after = {"sizes": found.sizes, "colours": [c for c in found.colours if c]}
    audit.record(
        session,
        actor_id=actor_id,
        subject=AuditSubject.PRODUCT,
        key=style["code"],
        action=AuditAction.CHANGED,
        before=before,
        after=after | {"import": import_id},
    )


def _variant_ids(skus: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(skus):
        found.update(
            db.session.execute(
                select(Variant.sku, Variant.id).where(one_of(Variant.sku, chunk))
            ).all()
        )
    return found


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)

"""The sheets the import reads: its template, and the stock sheet (库存表), the stock
one row per style × colour and a column per size, which an import reads back."""

from flask import abort, request
from flask_babel import get_locale

from ...access import Reads
from ...queries.imports import stock_sheet
from ...services import imports
from ..access import managers_only, role_required
from ..exports import csv_response, xlsx_response
from . import bp

FORMATS = ("xlsx", "csv")


def _sheet(extension: str, title: str, columns, rows, name: str):
    """The sheet as a download: ``name``, its time and the extension make the file name."""
    if extension == "csv":
        return csv_response(columns, rows, name=name)
    return xlsx_response(columns, rows, name=name, sheet_name=title)


FIELD_KEYS = ("code", "name", "category", "colour", "cost_price", "sale_price", "size_group")
WIDTHS = {"code": 12, "name": 24, "category": 12, "colour": 10, "size_group": 10}
# The template's sizes and two example rows, in each language.
TEMPLATE_SIZES = ["S", "M", "L", "XL", "2XL", "3XL"]
EXAMPLES = {
    "zh": [
        ["K2025-01", "女式羊毛大衣", "大衣", "黑色", 399, 1299, "S–3XL", 5, 10, 10, 8, 4, 2],
        ["K2025-01", "女式羊毛大衣", "大衣", "驼色", 399, 1299, "S–3XL", 3, 6, 6, 4, 2, 0],
    ],
    "en": [
        ["K2025-01", "Women's wool coat", "Coats", "Black", 399, 1299, "S–3XL", 5, 10, 10, 8, 4, 2],
        ["K2025-01", "Women's wool coat", "Coats", "Camel", 399, 1299, "S–3XL", 3, 6, 6, 4, 2, 0],
    ],
}


def _language() -> str:
    wanted = request.args.get("lang", "")
    if wanted in EXAMPLES:
        return wanted
    return "zh" if get_locale() and get_locale().language == "zh" else "en"


def _field_columns(language: str) -> list[tuple[str, int]]:
    heading = imports.headings(language)
    return [(heading[key], WIDTHS.get(key, 10)) for key in FIELD_KEYS]


@bp.get("/imports/template.<extension>")
@managers_only
def template(extension: str):
    """The import's layout with two example rows, in Chinese or English (``?lang=``)."""
    if extension not in FORMATS:
        abort(404)
    language = _language()
    columns = _field_columns(language) + [(size, 6) for size in TEMPLATE_SIZES]
    title = str(imports.SHEET_TITLE[language])
    return _sheet(extension, title, columns, EXAMPLES[language], f"import-template-{language}")


@bp.get("/stock-sheet.<extension>")
@role_required(Reads.PURCHASING)
def stock(extension: str):
    """The stock of the styles the product list shows (``q``, ``category``), one row per
    style × colour: on hand per size (the import's quantity columns), then barcodes,
    reserved and available per size, and the value at cost."""
    if extension not in FORMATS:
        abort(404)
    language = _language()
    sizes, rows = stock_sheet(
        search=request.args.get("q", "").strip()[:100],
        category=request.args.get("category", "")[:60],
        limit=imports.MAX_ROWS,
    )
    columns = _field_columns(language) + [(size, 6) for size in sizes]
    for prefix in (imports.BARCODE_PREFIX, imports.RESERVED_PREFIX, imports.AVAILABLE_PREFIX):
        columns += [(prefix[language] + size, 10) for size in sizes]
    columns.append((imports.VALUE_HEADING[language], 12))
    return _sheet(
        extension,
        str(imports.SHEET_TITLE[language]),
        columns,
        (_sheet_row(row, sizes) for row in rows),
        "stock-sheet",
    )


def _sheet_row(row: dict, sizes: list[str]) -> list:
    style, cells = row["style"], row["cells"]

    def each(value):
        return [value(*cells[size]) if size in cells else None for size in sizes]

    on_hand = sum(level.on_hand for _, level in cells.values())
    value = None if style.cost_price is None else style.cost_price * on_hand
    return [
        style.code,
        style.name,
        style.category,
        row["colour"],
        style.cost_price,
        style.sale_price,
        "",
        *each(lambda v, level: level.on_hand),
        *each(lambda v, level: v.barcode),
        *each(lambda v, level: level.reserved),
        *each(lambda v, level: level.available),
        value,
    ]

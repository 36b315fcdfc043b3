"""The stock log exported: CSV (UTF-8 with a BOM, for Excel) and an Excel workbook."""

import csv
import io
from datetime import datetime

from flask import Response, request, stream_with_context
from flask_babel import get_timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ...i18n import lazy_gettext as _l
from ...models import MovementKind
from ...queries import movements as history
from ..access import managers_only
from . import bp
from .forms import filter_form
from .routes import log_with_errors

# An export holds at most this many movements; a note says when it was cut.
EXPORT_LIMIT = 100_000
# The export's columns: heading and width (in characters).
COLUMNS = [
    (_l("Time"), 20),
    (_l("Style"), 12),
    (_l("Name"), 24),
    (_l("Colour"), 10),
    (_l("Size"), 8),
    (_l("SKU"), 22),
    (_l("Kind"), 12),
    (_l("Quantity"), 10),
    (_l("Balance after"), 12),
    (_l("Operator"), 14),
    (_l("Note"), 36),
    (_l("Document"), 14),
    (_l("Reversal link"), 16),
]


@bp.get("/logs/export.csv")
@managers_only
def export_csv():
    """The filtered log as CSV: UTF-8 with a BOM, so that Excel reads the Chinese right."""
    form = filter_form(request.args)
    if form.errors:
        return log_with_errors()
    return csv_response(COLUMNS, _export_rows(form.criteria()), _export_name("csv"))


@bp.get("/logs/export.xlsx")
@managers_only
def export_xlsx():
    """The filtered log as an Excel workbook: numbers as numbers, times as local times."""
    form = filter_form(request.args)
    if form.errors:
        return log_with_errors()
    rows = _export_rows(form.criteria())
    return xlsx_response(str(_l("Stock log")), COLUMNS, rows, _export_name("xlsx"))


def csv_response(columns, rows, filename: str) -> Response:
    """``rows`` under the headings of ``columns`` ((heading, width) pairs) as a CSV
    download, streamed: UTF-8 with a BOM, times as text, and text that a spreadsheet
    would run as a formula made inert."""

    @stream_with_context
    def lines():
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([str(heading) for heading, _ in columns])
        yield "\ufeff" + _take(out)
        for n, row in enumerate(rows, start=1):
            writer.writerow(_csv_safe(row))
            if n % 500 == 0:
                yield _take(out)
        yield _take(out)

    return Response(
        lines(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


def xlsx_response(title: str, columns, rows, filename: str) -> Response:
    """``rows`` under the headings of ``columns`` ((heading, width) pairs) as an Excel
    download: numbers as numbers, times as times, every text as text (never a formula)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    for index, (_, width) in enumerate(columns):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    heading_cells = []
    for heading, _ in columns:
        cell = WriteOnlyCell(sheet, value=str(heading))
        cell.font = bold
        heading_cells.append(cell)
    sheet.append(heading_cells)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=_xlsx_value(value))
            if isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            elif isinstance(value, str):
                cell.data_type = "s"  # a note starting with "=" stays text, not a formula
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return Response(
        out.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


def _export_rows(criteria: history.Criteria):
    """Each movement as a row of the export's columns; a note last when the export was cut."""
    zone = get_timezone()
    for taken, row in enumerate(history.each(criteria, limit=EXPORT_LIMIT + 1), start=1):
        if taken > EXPORT_LIMIT:
            yield [str(_capped_note())]
            return
        document = row["document"]
        link = ""
        if document and document["reversed_by"]:
            link = str(_l("Reversed by %(number)s", number=document["reversed_by"]["number"]))
        elif document and document["reverses"]:
            link = str(_l("Reverses %(number)s", number=document["reverses"]["number"]))
        yield [
            row["created_at"].astimezone(zone).replace(tzinfo=None),
            row["style_code"],
            row["style_name"],
            row["colour"],
            row["size"],
            row["sku"],
            MovementKind.label_of(row["kind"]),
            row["delta"],
            row["balance_after"],
            row["operator"],
            row["note"],
            document["number"] if document else "",
            link,
        ]


def _capped_note():
    return _l(
        "Only the newest %(limit)d movements are exported: narrow the filters for the rest.",
        limit=EXPORT_LIMIT,
    )


def _csv_safe(row: list) -> list:
    """Times as text, and text that a spreadsheet would run as a formula made inert."""
    safe = []
    for value in row:
        if isinstance(value, datetime):
            value = value.strftime("%Y-%m-%d %H:%M:%S")
        elif isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            value = "'" + value
        safe.append(value)
    return safe


def _xlsx_value(value):
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _take(out: io.StringIO) -> str:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text


def _export_name(extension: str) -> str:
    return f"stock-log-{datetime.now(get_timezone()):%Y%m%d-%H%M}.{extension}"

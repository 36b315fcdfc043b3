"""A list exported as a spreadsheet: CSV (UTF-8 with a BOM, for Excel) and an Excel
workbook, from its columns (heading, width) and its rows, streamed as they are read.

A row of ``None`` is the note that the export was cut at its limit (``capped``)."""

import csv
import io
from collections.abc import Callable, Iterable
from datetime import datetime

from flask import Response, stream_with_context
from flask_babel import get_timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_response(
    columns: list, rows: Iterable, *, name: str, capped: Callable | None = None
) -> Response:
    """The rows as CSV: UTF-8 with a BOM, so that Excel reads the Chinese right. A row
    of None says the export was cut: ``capped()`` is the note written in its place."""

    @stream_with_context
    def lines():
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([str(heading) for heading, _ in columns])
        yield "\ufeff" + _take(out)
        for n, row in enumerate(rows, start=1):
            if row is None:
                writer.writerow([str(capped())])
            else:
                writer.writerow(_csv_safe(row))
            if n % 500 == 0:
                yield _take(out)
        yield _take(out)

    return Response(lines(), mimetype="text/csv", headers=_attachment(name, "csv"))


def xlsx_response(
    columns: list, rows: Iterable, *, name: str, sheet_name: str, capped: Callable | None = None
) -> Response:
    """The rows as an Excel workbook: numbers as numbers, times as local times, text
    as text (never a formula)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name)
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
        if row is None:
            sheet.append([str(capped())])
            continue
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
    return Response(out.getvalue(), mimetype=XLSX, headers=_attachment(name, "xlsx"))


def local_time(moment: datetime) -> datetime:
    """A stored UTC time as the user's local time, as a spreadsheet shows it."""
    return moment.astimezone(get_timezone()).replace(tzinfo=None)


def _attachment(name: str, extension: str) -> dict:
    stamp = f"{datetime.now(get_timezone()):%Y%m%d-%H%M}"
    return {"Content-Disposition": f"attachment; filename={name}-{stamp}.{extension}"}


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

"""The stock log exported: CSV and an Excel workbook (``web/exports.py`` writes them)."""

from flask import request

from ...i18n import lazy_gettext as _l
from ...models import MovementKind
from ...queries import movements as history
from ..access import managers_only
from ..exports import csv_response, local_time, xlsx_response
from . import bp
from .forms import filter_form
from .routes import log_with_errors

# An export holds at most this many movements; a note says when it was cut.
EXPORT_LIMIT = 100_000
EXPORT_NAME = "stock-log"
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
    """The filtered log as CSV."""
    form = filter_form(request.args)
    if form.errors:
        return log_with_errors()
    rows = _export_rows(form.criteria())
    return csv_response(COLUMNS, rows, capped=_capped_note, name=EXPORT_NAME)


@bp.get("/logs/export.xlsx")
@managers_only
def export_xlsx():
    """The filtered log as an Excel workbook."""
    form = filter_form(request.args)
    if form.errors:
        return log_with_errors()
    rows = _export_rows(form.criteria())
    sheet = str(_l("Stock log"))
    return xlsx_response(COLUMNS, rows, capped=_capped_note, name=EXPORT_NAME, sheet_name=sheet)


def _export_rows(criteria: history.Criteria):
    """Each movement as a row of the export's columns; None last when the export was cut."""
    for taken, row in enumerate(history.each(criteria, limit=EXPORT_LIMIT + 1), start=1):
        if taken > EXPORT_LIMIT:
            yield None
            return
        document = row["document"]
        link = ""
        if document and document["reversed_by"]:
            link = str(_l("Reversed by %(number)s", number=document["reversed_by"]["number"]))
        elif document and document["reverses"]:
            link = str(_l("Reverses %(number)s", number=document["reverses"]["number"]))
        yield [
            local_time(row["created_at"]),
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

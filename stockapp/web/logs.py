"""The stock logs (库存日志), their exports, "my actions", and reversing a document."""

import csv
import io
from datetime import datetime
from functools import wraps
from urllib.parse import parse_qsl, urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from werkzeug.datastructures import MultiDict
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..database import write_transaction
from ..htmx import is_htmx, trigger
from ..models import DocumentKind, MovementKind, Role
from ..queries import movements as history
from ..services import ledger, receiving
from ..services.errors import DomainError, NotFound

bp = Blueprint("logs", __name__)

# An export holds at most this many movements; a note says when it was cut.
EXPORT_LIMIT = 100_000
MINE_LIMIT = 100

LOG_NAMES = {
    "all": _l("All movements"),
    "inbound": _l("Inbound log"),
    "adjustment": _l("Adjustment log"),
}
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


class LogFilterForm(FlaskForm):
    """The log's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Style or SKU"), validators=[Optional(), Length(max=100)])
    document = StringField(_l("Document"), validators=[Optional(), Length(max=20)])
    operator = SelectField(_l("Operator"), validate_choice=False)
    kind = SelectField(_l("Log"), default="all")
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def __init__(self, formdata):
        super().__init__(formdata=formdata)
        self.operator.choices = [("", _l("Everyone"))] + [(n, n) for n in history.operators()]
        self.kind.choices = {
            str(_l("Logs")): [(key, LOG_NAMES[key]) for key in history.LOGS],
            str(_l("Kinds")): [
                (k, MovementKind.label_of(k)) for k in history.KINDS if k not in LOG_NAMES
            ],
        }

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def criteria(self) -> history.Criteria:
        return history.Criteria(
            search=(self.q.data or "").strip(),
            document=(self.document.data or "").strip(),
            operator=self.operator.data or "",
            kind=self.kind.data if self.kind.data in history.KINDS else "all",
            date_from=self.date_from.data,
            date_to=self.date_to.data,
        )

    def query_args(self) -> dict:
        """The filters as query-string arguments, leaving out the empty ones."""
        args = {
            "q": self.q.data,
            "document": self.document.data,
            "operator": self.operator.data,
            "kind": self.kind.data if self.kind.data != "all" else None,
            "from": self.date_from.data.isoformat() if self.date_from.data else None,
            "to": self.date_to.data.isoformat() if self.date_to.data else None,
        }
        return {name: value for name, value in args.items() if value}


class ReverseForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        filters=[lambda text: text.strip() if text else text],
        validators=[
            DataRequired(_l("Say why this document is reversed.")),
            Length(max=500, message=_l("Keep the reason under %(max)d characters.")),
        ],
    )


def managers_only(view):
    """Refuse (403) everyone but managers, with a page that says so and where to go."""

    @wraps(view)
    def checked(*args, **kwargs):
        if not current_user.has_role(Role.MANAGER):
            return render_template("logs/managers_only.html", status=403), 403
        return view(*args, **kwargs)

    return checked


def _filter_form(args) -> LogFilterForm:
    # The form's fields are named like the query string, but for the dates.
    renamed = MultiDict(args)
    for short, field in (("from", "date_from"), ("to", "date_to")):
        if short in renamed:
            renamed.setlist(field, renamed.poplist(short))
    form = LogFilterForm(renamed)
    form.validate()
    return form


def _log_context(args) -> dict:
    form = _filter_form(args)
    rows, next_before = [], None
    if not form.errors:
        rows, next_before = history.page(
            form.criteria(),
            before=args.get("before", type=int),
            limit=current_app.config["PAGE_SIZE"],
        )
    filters = form.query_args()
    tabs = []
    for key, label in LOG_NAMES.items():
        url = url_for("logs.index", **{**filters, "kind": key if key != "all" else None})
        tabs.append({"label": label, "url": url, "current": form.kind.data == key})
    return {
        "form": form,
        "filters": filters,
        "tabs": tabs,
        "rows": rows,
        "next_before": next_before,
        "paged": args.get("before", type=int) is not None,
    }


@bp.get("/logs")
@managers_only
def index():
    """The stock logs, filtered; an htmx request gets the log without the page around it."""
    context = _log_context(request.args)
    status = 422 if context["form"].errors else 200
    if is_htmx():
        return render_template("logs/_log.html", **context), status
    return render_template("logs/index.html", **context), status


@bp.get("/logs/mine")
def mine():
    """The signed-in user's own latest movements, whatever their role."""
    rows, _ = history.page(history.Criteria(operator_id=current_user.id), limit=MINE_LIMIT)
    context = {"rows": rows, "mine": True, "limit": MINE_LIMIT}
    if is_htmx():
        return render_template("logs/_rows.html", **context)
    return render_template("logs/mine.html", **context)


@bp.get("/logs/export.csv")
@managers_only
def export_csv():
    """The filtered log as CSV: UTF-8 with a BOM, so that Excel reads the Chinese right."""
    form = _filter_form(request.args)
    if form.errors:
        return _log_with_errors()

    @stream_with_context
    def lines():
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([str(heading) for heading, _ in COLUMNS])
        yield "\ufeff" + _take(out)
        for n, row in enumerate(_export_rows(form.criteria()), start=1):
            if row is None:
                writer.writerow([str(_capped_note())])
            else:
                writer.writerow(_csv_safe(row))
            if n % 500 == 0:
                yield _take(out)
        yield _take(out)

    return Response(
        lines(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={_export_name('csv')}"},
    )


@bp.get("/logs/export.xlsx")
@managers_only
def export_xlsx():
    """The filtered log as an Excel workbook: numbers as numbers, times as local times."""
    form = _filter_form(request.args)
    if form.errors:
        return _log_with_errors()
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(_l("Stock log")))
    for index, (_, width) in enumerate(COLUMNS):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    heading_cells = []
    for heading, _ in COLUMNS:
        cell = WriteOnlyCell(sheet, value=str(heading))
        cell.font = bold
        heading_cells.append(cell)
    sheet.append(heading_cells)
    for row in _export_rows(form.criteria()):
        if row is None:
            sheet.append([str(_capped_note())])
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
    return Response(
        out.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename={_export_name('xlsx')}"},
    )


@bp.route("/documents/<int:document_id>/reverse", methods=["GET", "POST"])
@managers_only
def reverse(document_id: int):
    """The reason form (GET), and reversing the document (POST) through the ledger."""
    document = history.document(document_id)
    form = ReverseForm()
    if document is None:
        form.form_errors.append(_l("Document %(id)s does not exist.", id=document_id))
        return _reverse_form(form, None, document_id, 404)
    if request.method == "GET":
        return _reverse_form(form, document, document_id, 200)
    if not form.validate_on_submit():
        return _reverse_form(form, document, document_id, 422)
    try:
        with write_transaction():
            reversal = ledger.reverse(
                document_id, operator_id=current_user.id, reason=form.reason.data
            )
            receiving.after_reversal(document_id)
    except DomainError as refused:
        form.form_errors.append(refused.detail)
        status = 404 if isinstance(refused, NotFound) else 422
        return _reverse_form(form, history.document(document_id), document_id, status)
    number = reversal["document"]["number"]
    notice = _l(
        "%(original)s is reversed by %(reversal)s.", original=document["number"], reversal=number
    )
    detail = {"document": document["number"], "reversal": number}
    if not is_htmx():
        flash(str(notice), "success")
        return redirect(url_for("logs.index", document=number))
    response = _refreshed_log(notice)
    return trigger(response, "stock-changed", detail)


def _reverse_form(form, document, document_id, status):
    if document is not None:
        document["kind_name"] = DocumentKind(document["kind"]).label
    context = {"form": form, "document": document, "document_id": document_id}
    template = "logs/_reverse_form.html" if is_htmx() else "logs/reverse.html"
    return render_template(template, **context), status


def _refreshed_log(notice) -> Response:
    """The log the reversal was made from, refreshed, in place of its rows.

    The form sits in the dialog; its answer is retargeted to the page's rows,
    with the filters the page shows (htmx sends the page's URL along).
    """
    here = urlsplit(request.headers.get("HX-Current-URL", ""))
    if here.path == url_for("logs.mine"):
        rows, _ = history.page(history.Criteria(operator_id=current_user.id), limit=MINE_LIMIT)
        context = {"rows": rows, "mine": True, "limit": MINE_LIMIT}
        target, template = "#log-rows", "logs/_rows.html"
    elif here.path == url_for("logs.index"):
        args = MultiDict(parse_qsl(here.query, keep_blank_values=True))
        args.pop("before", None)
        context = _log_context(args)
        target, template = "#log-view", "logs/_log.html"
    else:
        return Response(status=204)
    body = render_template(template, notice=notice, **context)
    return Response(body, headers={"HX-Retarget": target, "HX-Reswap": "innerHTML show:top"})


def _log_with_errors():
    context = _log_context(request.args)
    return render_template("logs/index.html", **context), 422


def _export_rows(criteria: history.Criteria):
    """Each movement as a row of the export's columns; None last when the export was cut."""
    zone = get_timezone()
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

"""Printing labels (clerks and managers): choose the counts of a product's labels, or
print a receipt's (one per piece received) or the bins' (one per location). Printing
changes nothing, so every page is a GET; the browser's print dialog does the rest."""

from flask import abort, render_template, request

from ... import queries
from ...extensions import db
from ...i18n import lazy_gettext as _l
from ...models import Receipt, Role
from ...queries import labels
from ...services import settings, warehouses
from ..access import role_required
from ..warehouses.routes import allowed_location, allowed_warehouse
from . import bp
from .forms import COUNT, LAYOUTS, LabelOptions, ProductLabelsForm, label_count

TOO_MANY = _l("At most %(max)s labels in one print.", max=f"{labels.MAX_LABELS:,}")
CUT_SHORT = _l(
    "Only the first %(max)s labels are shown: that is the most one print takes.",
    max=f"{labels.MAX_LABELS:,}",
)


@bp.get("/products/<code>")
@role_required(Role.CLERK)
def product(code: str):
    """A product's colour × size grid of label counts (one each to start with)."""
    style, matrix = _style(code)
    form = ProductLabelsForm(formdata=None)
    counts = {cell["variant"].id: "1" for cell in matrix["cells"].values()}
    return _choose(style, matrix, form, counts)


@bp.get("/products/<code>/print")
@role_required(Role.CLERK)
def product_print(code: str):
    """The chosen labels, ready to print; a bad count is refused beside its cell (422)."""
    style, matrix = _style(code)
    form = ProductLabelsForm(formdata=request.args)
    ids = [cell["variant"].id for cell in matrix["cells"].values()]
    typed = {i: request.args.get(f"n-{i}", "0")[:10] for i in ids}
    errors = {i: COUNT for i, value in typed.items() if label_count(value or "0") is None}
    if form.validate() and not errors:
        each = form.each.data.strip()
        counts = {i: label_count(each or typed[i] or "0") for i in ids}
        if sum(counts.values()) <= labels.MAX_LABELS:
            batch = labels.variant_labels(counts, price=form.price.data)
            return _print(batch, form, back=("catalogue.product", {"code": style.code}))
        form.form_errors.append(TOO_MANY)
    return _choose(style, matrix, form, typed, errors, 422)


@bp.get("/receipts/<int:document_id>")
@role_required(Role.CLERK)
def receipt(document_id: int):
    """One label per piece the receipt received."""
    if db.session.get(Receipt, document_id) is None:
        abort(404)
    form = LabelOptions(formdata=request.args or None)
    form.validate()
    batch = labels.receipt_labels(document_id, price=form.price.data)
    return _print(batch, form, back=("purchasing.receipt", {"document_id": document_id}))


@bp.get("/locations")
@role_required(Role.CLERK)
def locations():
    """One label per location (bin) of the main warehouse."""
    form = LabelOptions(formdata=request.args or None)
    form.validate()
    batch = labels.bin_labels(warehouses.main_warehouse_id())
    return _print(batch, form, back=("settings.location_list", {}), bins=True)


@bp.get("/warehouses/<code>", defaults={"location_code": None})
@bp.get("/warehouses/<code>/<location_code>")
@role_required(Role.CLERK)
def warehouse_bins(code: str, location_code: str | None):
    """One label per location of a warehouse the user works in, or one location's."""
    if location_code is None:
        warehouse, location_id = allowed_warehouse(code), None
    else:
        warehouse, location = allowed_location(code, location_code)
        location_id = location.id
    form = LabelOptions(formdata=request.args or None)
    form.validate()
    batch = labels.bin_labels(warehouse.id, location_id)
    return _print(batch, form, back=("warehouses.warehouse_page", {"code": code}), bins=True)


@bp.get("/sheet.css")
@role_required(Role.CLERK)
def sheet_css():
    """The A4 sheet's grid and margins from the settings (a stylesheet: the CSP allows
    no style attribute, and these numbers are the shop's)."""
    sheet = {key: settings.get(key) for key in settings.RANGES}
    css = render_template("labels/sheet.css", **sheet)
    return css, 200, {"Content-Type": "text/css; charset=utf-8", "Cache-Control": "no-cache"}


def _style(code: str):
    style = queries.style_by_code(code)
    if style is None:
        abort(404)
    return style, queries.stock_matrix(style)


def _choose(style, matrix, form, counts, errors=None, status=200):
    context = {"style": style, "matrix": matrix, "form": form, "counts": counts}
    return render_template("labels/product.html", errors=errors or {}, **context), status


def _print(batch: labels.Batch, form: LabelOptions, back, bins: bool = False):
    layout = form.layout.data if form.layout.data in LAYOUTS else "sheet"
    per_page = settings.get("label_rows") * settings.get("label_columns")
    pages = [batch.labels[i : i + per_page] for i in range(0, len(batch.labels), per_page)]
    context = {
        "batch": batch,
        "pages": pages if layout == "sheet" else [[label] for label in batch.labels],
        "layout": layout,
        "form": form,
        "back": back,
        "bins": bins,
        "cut_short": CUT_SHORT if batch.too_many else None,
        "kept": {k: v for k, v in request.args.items() if k not in form},
    }
    return render_template("labels/print.html", **context)

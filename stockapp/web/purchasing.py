"""Purchase orders (采购单), receiving against them on the tablet, the managers'
approval queue of receipts (入库单), printouts, and the backorders."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from uuid import uuid4

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .. import queries
from ..extensions import db
from ..htmx import is_htmx, stock_changed
from ..models import (
    RECEIVING,
    DocumentStatus,
    POStatus,
    PurchaseOrder,
    Receipt,
    ReceiptReason,
    Role,
    Variant,
)
from ..models.catalogue import MAX_PRICE
from ..models.ledger import MAX_NOTE
from ..services import purchasing, receiving, suppliers, warehouses
from ..services.errors import DomainError
from . import WHOLE_NUMBER, entry_form, list_filters, role_required, whole_number

bp = Blueprint("purchasing", __name__)

TOO_LONG = _l("At most %(max)d characters.")
PO_STATES = {
    "open": (_l("Waiting for goods"), RECEIVING),
    "draft": (_l("Drafts"), (POStatus.DRAFT,)),
    "received": (_l("Received"), (POStatus.RECEIVED,)),
    "closed": (_l("Closed"), (POStatus.CLOSED,)),
    "all": (_l("All"), tuple(POStatus)),
}
RECEIPT_STATES = {
    "submitted": (_l("Waiting for approval"), (DocumentStatus.SUBMITTED,)),
    "posted": (_l("Approved"), (DocumentStatus.POSTED, DocumentStatus.REVERSED)),
    "rejected": (_l("Rejected"), (DocumentStatus.REJECTED,)),
    "all": (_l("All"), tuple(DocumentStatus)),
}


class POForm(FlaskForm):
    number = StringField(
        _l("PO number"),
        validators=[
            DataRequired(message=_l("Give the purchase order a number.")),
            Length(max=40, message=TOO_LONG),
        ],
    )
    supplier = SelectField(_l("Supplier"), coerce=int, validate_choice=False)
    expected_on = DateField(_l("Expected on"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Length(max=MAX_NOTE, message=TOO_LONG)])
    place = BooleanField(_l("Send to the supplier now (ordered)"), default=True)
    key = HiddenField(validators=[Length(min=1, max=64)])


class ReceiptForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[Length(max=MAX_NOTE, message=TOO_LONG)])
    key = HiddenField(validators=[Length(min=1, max=64)])


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("Say why the receipt is rejected.")),
            Length(max=MAX_NOTE, message=TOO_LONG),
        ],
    )
    key = HiddenField(validators=[Length(min=1, max=64)])


# ---------------------------------------------------------------- purchase orders


@bp.get("/purchase-orders")
@role_required(Role.CLERK)
def index():
    state, search, page = list_filters(PO_STATES, "open")
    rows, has_next = queries.po_list(statuses=PO_STATES[state][1], search=search, page=page)
    context = {
        "rows": rows,
        "has_next": has_next,
        "page": page,
        "state": state,
        "states": PO_STATES,
        "search": search,
    }
    template = "purchasing/_po_rows.html" if is_htmx() else "purchasing/index.html"
    return render_template(template, **context)


@bp.route("/purchase-orders/new", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def new():
    """A new PO: supplier, expected date, and per style a size grid and a unit cost."""
    source = entry_form.source()
    form = POForm(formdata=source)
    form.supplier.choices = [(0, _("Choose a supplier"))] + [
        (s.id, s.name) for s in suppliers.listing()
    ]
    if source is None:
        form.number.data = _next_number()
        form.key.data = uuid4().hex
        source = request.args
    entry = entry_form.read_entry(source, ("q",))
    costs = _costs(source, entry)
    if request.method == "GET" or source.get("add", "").strip():
        return _po_form(form, entry, costs)
    valid = entry_form.validate(form)
    lines = []
    for style in entry.styles:
        for variant in style.variants:
            qty = entry.number(f"q-{variant.id}")
            if qty and not variant.archived:
                lines.append(
                    purchasing.OrderedLine(variant.id, qty, costs["values"].get(style.code))
                )
    if not valid or entry.errors or costs["errors"]:
        return _po_form(form, entry, costs, 422)
    try:
        created = purchasing.create(
            number=form.number.data.strip(),
            supplier_id=form.supplier.data or 0,
            expected_on=form.expected_on.data,
            note=(form.note.data or "").strip(),
            place=form.place.data,
            lines=lines,
            operator_id=current_user.id,
            idempotency_key=form.key.data,
        )
    except DomainError as refused:
        for name in ("number", "supplier"):
            if name in refused.errors:
                getattr(form, name).errors = [refused.errors[name]]
        if "lines" in refused.errors or not refused.errors:
            form.form_errors.append(refused.errors.get("lines", refused.detail))
        return _po_form(form, entry, costs, 422)
    flash(_("Purchase order %(number)s saved.", number=created["number"]), "success")
    return entry_form.go(url_for("purchasing.show", po_id=created["id"]))


def _costs(source, entry) -> dict:
    """The unit cost typed per style (``cost-<code>``), defaulting to the style's cost."""
    values, typed, errors = {}, {}, {}
    for style in entry.styles:
        name = f"cost-{style.code}"
        text = source.get(name)
        if text is None:
            typed[name] = "" if style.cost_price is None else str(style.cost_price)
            values[style.code] = style.cost_price
            continue
        typed[name] = text
        text = text.strip()
        if not text:
            values[style.code] = None
            continue
        try:
            cost = Decimal(text)
        except InvalidOperation:
            cost = None
        if (
            cost is None
            or not cost.is_finite()
            or not 0 <= cost <= MAX_PRICE
            or cost != cost.quantize(Decimal("0.01"))
        ):
            errors[name] = _l("Enter a price such as 59.90.")
        else:
            values[style.code] = cost
    return {"values": values, "typed": typed, "errors": errors}


def _po_form(form, entry, costs, status: int = 200):
    template = "purchasing/_po_form.html" if is_htmx() else "purchasing/new.html"
    return (
        render_template(
            template, form=form, entry=entry, grids=entry_form.grids(entry), costs=costs
        ),
        status,
    )


def _next_number() -> str:
    """A suggestion: PO, today's date, and the first free sequence number of the day."""
    prefix = "PO" + format_datetime(datetime.now(get_timezone()), "yyyyMMdd") + "-"
    taken = set(
        db.session.scalars(
            select(PurchaseOrder.number).where(PurchaseOrder.number.startswith(prefix))
        )
    )
    n = len(taken) + 1
    while f"{prefix}{n:03d}" in taken:
        n += 1
    return f"{prefix}{n:03d}"


@bp.get("/purchase-orders/<int:po_id>")
@role_required(Role.CLERK)
def show(po_id: int):
    po = _po(po_id)
    template = "purchasing/_po_view.html" if is_htmx() else "purchasing/show.html"
    return render_template(
        template,
        po=po,
        view=queries.po_page(po),
        action=entry_form.KeyForm(key=uuid4().hex),
        today=_today(),
    )


@bp.post("/purchase-orders/<int:po_id>/place")
@role_required(Role.MANAGER)
def place(po_id: int):
    return _po_action(po_id, purchasing.place, _("Purchase order %(number)s ordered."))


@bp.post("/purchase-orders/<int:po_id>/close")
@role_required(Role.MANAGER)
def close(po_id: int):
    return _po_action(po_id, purchasing.close, _("Purchase order %(number)s closed."))


def _po_action(po_id: int, action, message: str):
    po = _po(po_id)
    form = entry_form.KeyForm()
    if not form.validate():
        flash(_("The page is out of date: reload it."), "error")
        return entry_form.go(url_for("purchasing.show", po_id=po.id))
    try:
        action(po.id, operator_id=current_user.id, idempotency_key=form.key.data)
    except DomainError as refused:
        flash(refused.detail, "error")
        return entry_form.go(url_for("purchasing.show", po_id=po.id))
    flash(message % {"number": po.number}, "success")
    return entry_form.go(url_for("purchasing.show", po_id=po.id))


@bp.get("/purchase-orders/<int:po_id>/discrepancies")
@role_required(Role.CLERK)
def discrepancies(po_id: int):
    """The discrepancy sheet to send the supplier: short, over, damaged, wrong."""
    po = _po(po_id)
    return render_template(
        "purchasing/discrepancies.html",
        po=po,
        found=queries.discrepancies_of(po),
        view=queries.po_page(po),
    )


@bp.get("/backorders")
@role_required(Role.CLERK)
def backorders():
    """POs with pieces still to come and when they are expected; overdue ones stand out."""
    return render_template("purchasing/backorders.html", rows=queries.backorders(), today=_today())


def _today() -> date:
    return datetime.now(get_timezone()).date()


def _po(po_id: int) -> PurchaseOrder:
    po = db.session.get(PurchaseOrder, po_id)
    if po is None:
        abort(404)
    return po


# ---------------------------------------------------------------- receiving


@bp.get("/receive")
@role_required(Role.CLERK)
def find():
    """Find the PO an arrival belongs to: by number, supplier, or a scanned piece on it."""
    search = request.args.get("q", "").strip()[:100]
    found = queries.receiving_pos(search)
    if search and len(found) == 1 and request.args.get("go"):
        return entry_form.go(url_for("purchasing.receive", po_id=found[0].id))
    template = "purchasing/_find_rows.html" if is_htmx() else "purchasing/find.html"
    return render_template(template, found=found, search=search)


@bp.route("/purchase-orders/<int:po_id>/receive", methods=["GET", "POST"])
@role_required(Role.CLERK)
def receive(po_id: int):
    """Count what arrived against the PO: per size received (scan or type), damaged,
    a reason and note, and where it is put away; then submit the receipt."""
    po = _po(po_id)
    if po.status not in RECEIVING:
        flash(
            _(
                "Purchase order %(number)s is %(status)s: nothing is expected on it.",
                number=po.number,
                status=POStatus.label_of(po.status),
            ),
            "error",
        )
        return redirect(url_for("purchasing.show", po_id=po.id))
    source = entry_form.source()
    form = ReceiptForm(formdata=source)
    if source is None:
        form.key.data = uuid4().hex
        source = request.args
    sheet = _sheet(po, source)
    if request.method == "GET" or source.get("add", "").strip():
        return _receive_form(po, form, sheet)
    valid = entry_form.validate(form)
    lines = _arrived(sheet)
    if not valid or sheet["errors"]:
        return _receive_form(po, form, sheet, 422)
    try:
        result = receiving.create(
            po_id=po.id,
            lines=lines,
            note=(form.note.data or "").strip(),
            submit=True,
            operator_id=current_user.id,
            idempotency_key=form.key.data,
        )
    except DomainError as refused:
        ids = [line.variant_id for line in lines]
        for path, message in refused.errors.items():
            if path.startswith("lines["):
                sheet["errors"][f"r-{ids[int(path[6:-1])]}"] = message
        form.form_errors.append(refused.errors.get("lines", refused.detail))
        return _receive_form(po, form, sheet, 422)
    document = result["document"]
    message = _receipt_message(document)
    flash(message, "success")
    return entry_form.go(url_for("purchasing.receipt", document_id=document["id"]))


def _sheet(po: PurchaseOrder, source) -> dict:
    """The receiving sheet: the PO's lines and any wrong items, with what was typed.

    ``add`` (a scan) adds one to a PO line's received, or brings in a variant that
    is not on the PO as a wrong item.
    """
    view = queries.po_page(po)
    on_po = {c["variant"].id: c for g in view["styles"] for c in g["cells"].values()}
    extra_ids = [
        number
        for number in (whole_number(v) for v in source.getlist("extra"))
        if number is not None and number not in on_po
    ]
    values = {k: v for k, v in source.items() if k.split("-")[0] in ("r", "d", "why", "loc", "n")}
    errors, add_message = {}, None
    added = source.get("add", "").strip()[:100]
    if added:
        variant = db.session.scalar(
            select(Variant).where(
                (Variant.barcode == added) | (Variant.sku == added), ~Variant.archived
            )
        )
        if variant is None:
            errors["add"] = _l("No SKU or barcode %(code)s.", code=added)
        else:
            if variant.id not in on_po and variant.id not in extra_ids:
                extra_ids.append(variant.id)
                add_message = _l(
                    "%(sku)s is not on this PO: added as a wrong item.", sku=variant.sku
                )
                values.setdefault(f"why-{variant.id}", ReceiptReason.WRONG.value)
            name = f"r-{variant.id}"
            values[name] = str((whole_number(values.get(name, "").strip() or "0") or 0) + 1)
    extras = [db.session.get(Variant, v) for v in extra_ids]
    variant_ids = list(on_po) + extra_ids
    usual = warehouses.usual_locations(variant_ids, warehouses.main_warehouse_id())
    for vid in variant_ids:
        values.setdefault(f"loc-{vid}", str(usual[vid]))
    sheet = {
        "view": view,
        "extras": [v for v in extras if v is not None],
        "values": values,
        "errors": errors,
        "add_message": add_message,
        "ids": variant_ids,
    }
    _check_sheet(sheet)
    return sheet


def _check_sheet(sheet: dict) -> None:
    values, errors = sheet["values"], sheet["errors"]
    for vid in sheet["ids"]:
        for prefix in ("r", "d"):
            name = f"{prefix}-{vid}"
            if whole_number(values.get(name, "").strip() or "0") is None:
                errors[name] = WHOLE_NUMBER
        if values.get(f"why-{vid}", "") not in {r.value for r in ReceiptReason} | {""}:
            errors[f"why-{vid}"] = _l("Unknown reason.")
        if len(values.get(f"n-{vid}", "")) > MAX_NOTE:
            errors[f"n-{vid}"] = _l("At most %(max)d characters.", max=MAX_NOTE)


def _arrived(sheet: dict) -> list:
    values, lines = sheet["values"], []
    for vid in sheet["ids"]:
        received = whole_number(values.get(f"r-{vid}", "").strip() or "0") or 0
        damaged = whole_number(values.get(f"d-{vid}", "").strip() or "0") or 0
        reason = values.get(f"why-{vid}", "")
        if not (received or damaged or reason):
            continue
        location = values.get(f"loc-{vid}", "")
        lines.append(
            receiving.ArrivedLine(
                variant_id=vid,
                received=received,
                damaged=damaged,
                location_id=whole_number(location) if location else None,
                reason=reason,
                note=values.get(f"n-{vid}", "").strip(),
            )
        )
    return lines


def _receive_form(po, form, sheet, status: int = 200):
    template = "purchasing/_receive_form.html" if is_htmx() else "purchasing/receive.html"
    return (
        render_template(
            template,
            po=po,
            form=form,
            sheet=sheet,
            reasons=ReceiptReason,
            locations=[loc for loc in warehouses.locations() if not loc.is_quarantine],
        ),
        status,
    )


# ---------------------------------------------------------------- receipts


@bp.get("/receipts")
@role_required(Role.CLERK)
def receipts():
    """Receipts by state; managers come here for the ones waiting for approval."""
    state = (
        request.args.get("state") if request.args.get("state") in RECEIPT_STATES else "submitted"
    )
    rows = queries.receipt_list(statuses=RECEIPT_STATES[state][1])
    template = "purchasing/_receipt_rows.html" if is_htmx() else "purchasing/receipts.html"
    return render_template(template, rows=rows, state=state, states=RECEIPT_STATES)


@bp.get("/receipts/<int:document_id>")
@role_required(Role.CLERK)
def receipt(document_id: int):
    found = _receipt(document_id)
    template = "purchasing/_receipt_view.html" if is_htmx() else "purchasing/receipt.html"
    return render_template(
        template,
        view=queries.receipt_page(found),
        receipt=found,
        action=entry_form.KeyForm(key=uuid4().hex),
    )


@bp.get("/receipts/<int:document_id>/print")
@role_required(Role.CLERK)
def receipt_print(document_id: int):
    found = _receipt(document_id)
    return render_template(
        "purchasing/receipt_print.html", view=queries.receipt_page(found), receipt=found
    )


@bp.post("/receipts/<int:document_id>/submit")
@role_required(Role.CLERK)
def submit(document_id: int):
    """Submit a draft receipt (one made through the API): for approval, or posted at
    once where the settings allow."""
    return _receipt_step(document_id, receiving.submit)


@bp.post("/receipts/<int:document_id>/approve")
@role_required(Role.MANAGER)
def approve(document_id: int):
    """Approve: stock rises by what was received, and the PO follows."""
    return _receipt_step(document_id, receiving.approve)


def _receipt_step(document_id: int, step):
    """Run a one-button step of a receipt and say what it did, or why not."""
    found = _receipt(document_id)
    form = entry_form.KeyForm()
    if not form.validate():
        return _receipt_refused(found, _("The page is out of date: reload it."))
    try:
        result = step(found.document_id, operator_id=current_user.id, idempotency_key=form.key.data)
    except DomainError as refused:
        return _receipt_refused(found, refused.detail)
    return stock_changed(
        _receipt_message(result["document"]),
        detail={"receipt": found.document_id},
        fallback=url_for("purchasing.receipt", document_id=found.document_id),
    )


def _receipt_message(document: dict) -> str:
    if document["status"] == DocumentStatus.POSTED:
        return _(
            "Receipt %(number)s approved: %(n)d pcs into stock.",
            number=document["number"],
            n=_received(document["id"]),
        )
    return _("Receipt %(number)s submitted for approval.", number=document["number"])


@bp.route("/receipts/<int:document_id>/reject", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def reject(document_id: int):
    found = _receipt(document_id)
    if request.method == "GET":
        return _reject_form(found, RejectForm(key=uuid4().hex))
    form = RejectForm()
    if not form.validate():
        return _reject_form(found, form, 422)
    try:
        receiving.reject(
            found.document_id,
            operator_id=current_user.id,
            reason=form.reason.data.strip(),
            idempotency_key=form.key.data,
        )
    except DomainError as refused:
        form.form_errors.append(refused.detail)
        return _reject_form(found, form, 422)
    return stock_changed(
        _("Receipt rejected: nothing was posted."),
        detail={"receipt": found.document_id},
        fallback=url_for("purchasing.receipt", document_id=found.document_id),
    )


def _reject_form(found: Receipt, form: RejectForm, status: int = 200):
    template = "purchasing/_reject.html" if is_htmx() else "purchasing/reject.html"
    document = queries.receipt_page(found)["document"]
    return render_template(template, receipt=found, document=document, form=form), status


def _receipt_refused(found: Receipt, message):
    if not is_htmx():
        flash(message, "error")
        return redirect(url_for("purchasing.receipt", document_id=found.document_id))
    db.session.expire_all()
    return (
        render_template(
            "purchasing/_receipt_view.html",
            view=queries.receipt_page(found),
            receipt=found,
            action=entry_form.KeyForm(key=uuid4().hex),
            refusal=message,
        ),
        422,
    )


def _received(document_id: int) -> int:
    """Good pieces a receipt brings into sellable stock (its damaged ones never)."""
    return queries.receipt_page(db.session.get(Receipt, document_id))["received"]


def _receipt(document_id: int) -> Receipt:
    found = db.session.get(Receipt, document_id)
    if found is None:
        abort(404)
    return found

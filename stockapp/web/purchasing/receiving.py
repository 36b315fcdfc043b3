"""Receiving against a purchase order on the tablet: find the PO, count what arrived."""

from uuid import uuid4

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ... import queries
from ...extensions import db
from ...htmx import client_redirect, is_htmx
from ...i18n import lazy_gettext as _l
from ...models import RECEIVING, POStatus, PurchaseOrder, ReceiptReason, Role, Variant
from ...models.ledger import MAX_NOTE
from ...services import receiving, warehouses
from ...services.errors import DomainError
from .. import entry_form
from ..access import role_required
from ..entry_form import WHOLE_NUMBER, whole_number
from ..inputs import CONTROL, ONE_LINE
from ..places import own_choice, warehouse_choices
from . import bp
from .forms import ReceiptForm
from .receipts import receipt_message


@bp.get("/receive")
@role_required(Role.CLERK)
def find():
    """Find the PO an arrival belongs to: by number, supplier, or a scanned piece on it."""
    search = request.args.get("q", "").strip()[:100]
    found = queries.receiving_pos(search)
    if search and len(found) == 1 and request.args.get("go"):
        return client_redirect(url_for("purchasing.receive", po_id=found[0].id))
    template = "purchasing/_find_rows.html" if is_htmx() else "purchasing/find.html"
    return render_template(template, found=found, search=search)


@bp.route("/purchase-orders/<int:po_id>/receive", methods=["GET", "POST"])
@role_required(Role.CLERK)
def receive(po_id: int):
    """Count what arrived against the PO: per size received (scan or type), damaged,
    a reason and note, and where it is put away; then submit the receipt."""
    po = db.get_or_404(PurchaseOrder, po_id)
    if po.status not in RECEIVING:
        flash(
            _(
                "Purchase order %(number)s (%(status)s): nothing is expected on it.",
                number=po.number,
                status=POStatus.label_of(po.status),
            ),
            "error",
        )
        return redirect(url_for("purchasing.show", po_id=po.id))
    source = entry_form.source()
    form = ReceiptForm(formdata=source)
    form.warehouse.choices = warehouse_choices(current_user.id)
    if source is None:
        form.key.data = uuid4().hex
        source = request.args
    offered = [value for value, _label in form.warehouse.choices]
    if not form.warehouse.data:
        form.warehouse.data = own_choice(current_user.id, offered)
    warehouse_id = int(form.warehouse.data) if form.warehouse.data in offered else None
    sheet = _sheet(po, source, warehouse_id)
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
            warehouse_id=warehouse_id,
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
    message = receipt_message(document)
    flash(message, "success")
    return client_redirect(url_for("purchasing.receipt", document_id=document["id"]))


def _sheet(po: PurchaseOrder, source, warehouse_id: int | None) -> dict:
    """The receiving sheet: the PO's lines and any wrong items, with what was typed, each
    put away in a sellable location of the warehouse (its usual one unless another of
    that warehouse is chosen).

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
    if CONTROL.search(added):
        errors["add"] = ONE_LINE
    elif added:
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
                values.setdefault(f"why-{variant.id}", ReceiptReason.WRONG)
            name = f"r-{variant.id}"
            values[name] = str((whole_number(values.get(name, "").strip() or "0") or 0) + 1)
    extras = [db.session.get(Variant, v) for v in extra_ids]
    variant_ids = list(on_po) + extra_ids
    locations = []
    if warehouse_id is not None:
        locations = [loc for loc in warehouses.locations(warehouse_id) if not loc.is_quarantine]
        usual = warehouses.usual_locations(variant_ids, warehouse_id)
        # A location of another warehouse (the warehouse was just changed) starts again
        # at the usual one; one posted stays, for the service to refuse.
        here = {str(loc.id) for loc in locations}
        for vid in variant_ids:
            name = f"loc-{vid}"
            if not values.get(name) or (request.method == "GET" and values[name] not in here):
                values[name] = str(usual[vid])
    sheet = {
        "locations": locations,
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
        if values.get(f"why-{vid}", "") not in {*ReceiptReason, ""}:
            errors[f"why-{vid}"] = _l("Unknown reason.")
        if len(values.get(f"n-{vid}", "")) > MAX_NOTE:
            errors[f"n-{vid}"] = _l("At most %(max)d characters.", max=MAX_NOTE)
        elif CONTROL.search(values.get(f"n-{vid}", "")):  # a one-line box
            errors[f"n-{vid}"] = ONE_LINE


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
        ),
        status,
    )

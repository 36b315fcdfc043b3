"""Purchase orders (采购单): the list, a new PO, its page, placing and closing it,
the discrepancy sheet and the backorders."""

from datetime import date, datetime
from uuid import uuid4

from flask import abort, flash, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from ... import queries
from ...access import Reads
from ...extensions import db
from ...htmx import client_redirect, is_htmx
from ...i18n import lazy_gettext as _l
from ...models import RECEIVING, POStatus, PurchaseOrder, Role
from ...queries.supplier_returns import supplier_return_list
from ...services import purchasing, suppliers
from ...services.errors import DomainError
from .. import entry_form
from ..access import role_required
from ..lists import page_args, state_list
from . import bp
from .forms import POForm

PO_STATES = {
    "open": (_l("Waiting for goods"), RECEIVING),
    "draft": (_l("Drafts"), (POStatus.DRAFT,)),
    "received": (_l("Received"), (POStatus.RECEIVED,)),
    "closed": (_l("Closed"), (POStatus.CLOSED,)),
    "all": (_l("All"), None),
}


@bp.get("/purchase-orders")
@role_required(Reads.PURCHASING)
def index():
    return state_list(
        queries.po_list, PO_STATES, "open", "purchasing/index.html", "purchasing/_po_rows.html"
    )


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
        form.number.data = queries.next_number(PurchaseOrder.number, "PO")
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
    return client_redirect(url_for("purchasing.show", po_id=created["id"]))


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
        try:
            values[style.code] = entry_form.price(text)
        except ValueError:
            errors[name] = entry_form.PRICE
    return {"values": values, "typed": typed, "errors": errors}


def _po_form(form, entry, costs, status: int = 200):
    template = "purchasing/_po_form.html" if is_htmx() else "purchasing/new.html"
    return (
        render_template(
            template, form=form, entry=entry, grids=entry_form.grids(entry), costs=costs
        ),
        status,
    )


@bp.get("/purchase-orders/<int:po_id>")
@role_required(Reads.PURCHASING)
def show(po_id: int):
    po = _po(po_id)
    template = "purchasing/_po_view.html" if is_htmx() else "purchasing/show.html"
    return render_template(
        template,
        po=po,
        view=queries.po_page(po),
        receipts=queries.receipt_list(po_id=po.id, **page_args()),
        # Every warehouse's returns against the PO, newest first; the list pages on.
        returns=supplier_return_list(po_id=po.id),
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
        return client_redirect(url_for("purchasing.show", po_id=po.id))
    try:
        action(po.id, operator_id=current_user.id, idempotency_key=form.key.data)
    except DomainError as refused:
        flash(refused.detail, "error")
        return client_redirect(url_for("purchasing.show", po_id=po.id))
    flash(message % {"number": po.number}, "success")
    return client_redirect(url_for("purchasing.show", po_id=po.id))


@bp.get("/purchase-orders/<int:po_id>/discrepancies")
@role_required(Reads.PURCHASING)
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
@role_required(Reads.PURCHASING)
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

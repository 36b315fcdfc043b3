"""Returns to the supplier (退供应商) on the pages. A clerk chooses the bin (or scans its
label), quarantine bins included, the supplier and, if the pieces go back against one,
its purchase order; scans or types the pieces per size; and submits. A manager approves
(the pieces leave stock) or rejects. Everyone who reads purchasing sees the returns of
the warehouses they work in, and prints a return's slip to send with the goods."""

from contextlib import suppress
from uuid import uuid4

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import Reads
from ...extensions import db
from ...htmx import client_redirect, is_htmx, page_or_partial
from ...i18n import lazy_gettext as _l
from ...models import DocumentStatus, PurchaseOrder, Role
from ...queries.supplier_returns import (
    pos_of_supplier,
    supplier_return_detail,
    supplier_return_list,
)
from ...services import supplier_returns, suppliers, warehouses
from ...services.errors import DomainError, NotPermitted
from .. import entry_form
from ..access import role_required
from ..decisions import Waiting
from ..inputs import form_id
from ..lists import list_filters, page_args
from ..moves.routes import lines_of, out_of_one_bin, ready_to_send, refusal_beside_cells
from ..places import own_choice, place_choices, warehouse_choices
from . import bp
from .forms import RejectForm, SupplierReturnForm

STATES = {
    "submitted": (_l("Waiting for approval"), (DocumentStatus.SUBMITTED,)),
    # As the write-offs' list: an approved return reversed since is listed as it is now.
    "posted": (_l("Approved"), (DocumentStatus.POSTED, DocumentStatus.REVERSED)),
    "rejected": (_l("Rejected"), (DocumentStatus.REJECTED,)),
    "all": (_l("All"), None),
}


@bp.get("/supplier-returns")
@role_required(Reads.PURCHASING)
def index():
    """Returns by state, in the warehouses the user works in: managers start at those
    waiting for them, clerks at all; ``?po=`` keeps those against one purchase order."""
    default = "submitted" if current_user.has_role(Role.MANAGER) else "all"
    state, _search = list_filters(STATES, default)
    po_id = _po_arg()
    found = supplier_return_list(
        statuses=STATES[state][1],
        warehouse_ids=warehouses.allowed_warehouse_ids(current_user.id),
        po_id=po_id,
        **page_args(),
    )
    return page_or_partial(
        "supplier_returns/index.html",
        "supplier_returns/_rows.html",
        found=found,
        endpoint="supplier_returns.index",
        args={"state": state, "po": po_id},
        state=state,
        states=STATES,
        po=None if po_id is None else db.session.get(PurchaseOrder, po_id),
    )


def _po_arg() -> int | None:
    try:
        return form_id(request.args["po"]) or None
    except (KeyError, ValueError):
        return None


@bp.route("/supplier-returns/new", methods=["GET", "POST"])
@role_required(Role.CLERK)
def new():
    """退供应商: the bin, the supplier and its PO (if any), the pieces per size, the reason;
    submitted for approval, or posted at once where no approval is needed. Opened from a
    PO (``?supplier=&purchase_order=``), the form starts with them chosen."""
    source = entry_form.source()
    form = SupplierReturnForm(formdata=source)
    if source is None:
        form.key.data = uuid4().hex
        source = request.args
        for name in ("supplier", "purchase_order"):
            with suppress(ValueError):  # a link that names none: nothing chosen
                form[name].data = form_id(source.get(name, "0"))
    _choices(form)
    location, entry, held, shown_only = out_of_one_bin(form, source)
    if shown_only:
        return _form(form, entry, held)
    if not ready_to_send(form, location, entry):
        return _form(form, entry, held, 422)
    lines = [(variant_id, location.id, qty) for variant_id, qty in lines_of(entry, held)]
    try:
        result = supplier_returns.submit(
            supplier_id=form.supplier.data or 0,
            po_id=form.purchase_order.data or None,
            lines=lines,
            reason=form.reason.data,
            operator_id=current_user.id,
            note=(form.note.data or "").strip(),
            idempotency_key=form.key.data,
        )
    except DomainError as refused:
        refusal_beside_cells(form, entry, lines, refused)
        return _form(form, entry, held, 422)
    document = result["document"]
    flash(_message(document, sum(qty for _, _, qty in lines)), "success")
    return client_redirect(url_for("supplier_returns.show", document_id=document["id"]))


def _choices(form: SupplierReturnForm) -> None:
    """The bins of the user's warehouses (``place_choices``; unless one is chosen, the
    quarantine bin of their own warehouse, where damaged pieces wait), the suppliers, and
    the chosen supplier's purchase orders."""
    groups = place_choices(current_user.id)
    form.location.choices = groups
    if not form.location.data:
        offered = [value for group in groups.values() for value, _label in group]
        own = own_choice(current_user.id, [w for w, _name in warehouse_choices(current_user.id)])
        quarantine = own and str(warehouses.quarantine_location_id(int(own)))
        form.location.data = quarantine if quarantine in offered else next(iter(offered), None)
    form.supplier.choices = [(0, _("Choose a supplier"))] + [
        (s.id, s.name) for s in suppliers.listing()
    ]
    pos = pos_of_supplier(form.supplier.data) if form.supplier.data else []
    form.purchase_order.choices = [(0, _("No purchase order"))] + [(po.id, po.number) for po in pos]
    if form.purchase_order.data not in {po.id for po in pos}:
        form.purchase_order.data = 0  # another supplier's, or none of theirs


def _message(document: dict, pieces: int) -> str:
    if document["status"] == DocumentStatus.POSTED:
        return _(
            "Return to supplier %(number)s approved: %(n)d pcs out of stock.",
            number=document["number"],
            n=pieces,
        )
    return _("Return to supplier %(number)s submitted for approval.", number=document["number"])


def _form(form: SupplierReturnForm, entry, held, status: int = 200):
    template = "supplier_returns/_form.html" if is_htmx() else "supplier_returns/new.html"
    context = {"form": form, "entry": entry, "held": held, "grids": entry_form.grids(entry)}
    return render_template(template, **context), status


@bp.get("/supplier-returns/<int:document_id>")
@role_required(Reads.PURCHASING)
def show(document_id: int):
    view = _view(document_id)
    template = "supplier_returns/_view.html" if is_htmx() else "supplier_returns/show.html"
    return render_template(template, view=view, action=entry_form.KeyForm(key=uuid4().hex))


@bp.get("/supplier-returns/<int:document_id>/slip")
@role_required(Reads.PURCHASING)
def slip(document_id: int):
    """The printable return slip (退供应商单), to go with the pieces."""
    return render_template("supplier_returns/slip.html", view=_view(document_id))


@bp.post("/supplier-returns/<int:document_id>/approve")
@role_required(Role.MANAGER)
def approve(document_id: int):
    return WAITING.approve(document_id)


@bp.route("/supplier-returns/<int:document_id>/reject", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def reject(document_id: int):
    return WAITING.reject(document_id)


def _view(document_id: int) -> dict:
    """The return, if the user works in its warehouse (404 / 403 otherwise)."""
    view = supplier_return_detail(document_id)
    if view is None:
        abort(404)
    try:
        warehouses.require_warehouse(current_user.id, view["warehouse_id"])
    except NotPermitted:
        abort(403)
    return view


WAITING = Waiting(
    service=supplier_returns,
    view=_view,
    page="supplier_returns.show",
    reject_page="supplier_returns.reject",
    partial="supplier_returns/_view.html",
    name="supplier_return",
    approved=_message,
    rejected=_l("Return to supplier rejected: nothing was posted."),
    reject_form=RejectForm,
)

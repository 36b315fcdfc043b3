"""Receipts (入库单): the list, a receipt's page and printout, and the managers'
approval queue: submit, approve, reject."""

from uuid import uuid4

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import queries
from ...access import Reads
from ...extensions import db
from ...htmx import is_htmx, page_or_partial, stock_changed
from ...i18n import lazy_gettext as _l
from ...models import DocumentStatus, Receipt, Role
from ...services import receiving
from ...services.errors import DomainError
from .. import entry_form
from ..access import role_required
from ..lists import list_filters, page_args
from . import bp
from .forms import RejectForm

RECEIPT_STATES = {
    "submitted": (_l("Waiting for approval"), (DocumentStatus.SUBMITTED,)),
    "posted": (_l("Approved"), (DocumentStatus.POSTED, DocumentStatus.REVERSED)),
    "rejected": (_l("Rejected"), (DocumentStatus.REJECTED,)),
    "all": (_l("All"), None),
}


@bp.get("/receipts")
@role_required(Reads.PURCHASING)
def receipts():
    """Receipts by state; managers come here for the ones waiting for approval."""
    state, _ = list_filters(RECEIPT_STATES, "submitted")
    found = queries.receipt_list(statuses=RECEIPT_STATES[state][1], **page_args())
    return page_or_partial(
        "purchasing/receipts.html",
        "purchasing/_receipt_rows.html",
        found=found,
        endpoint="purchasing.receipts",
        args={"state": state},
        state=state,
        states=RECEIPT_STATES,
    )


@bp.get("/receipts/<int:document_id>")
@role_required(Reads.PURCHASING)
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
@role_required(Reads.PURCHASING)
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
        receipt_message(result["document"]),
        detail={"receipt": found.document_id},
        fallback=url_for("purchasing.receipt", document_id=found.document_id),
    )


def receipt_message(document: dict) -> str:
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

"""Transfers (调拨) on the pages. Everyone reads the transfers from or to a warehouse they
work in; the source's clerk ships, the destination's clerk receives (per size, typed or
scanned), a manager decides what is left in transit and cancels. The server checks each
role and warehouse; every write goes through ``services.transfers``, with the form's
idempotency key, and a refusal is shown on the transfer's page, nothing written."""

from uuid import uuid4

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import Reads
from ...htmx import client_redirect, is_htmx, page_or_partial
from ...i18n import lazy_gettext as _l
from ...models import Role, TransferDecision, TransferStatus
from ...models.ledger import MAX_NOTE
from ...queries import warehouses as warehouse_queries
from ...queries.transfers import readable_transfer, transfer_list
from ...services import transfers, warehouses
from ...services.errors import DomainError
from .. import entry_form
from ..access import role_required
from ..lists import list_filters, page_args
from . import bp
from .forms import TransferForm

# The list's tabs: each state, by its own word, and all of them.
TRANSFER_STATES = {status.value: (status.label, (status,)) for status in TransferStatus} | {
    "all": (_l("All"), None)
}


@bp.get("/transfers")
@role_required(Reads.WAREHOUSES)
def index():
    """Transfers from or to the warehouses the user works in, newest first, by state
    (all of them unless a tab says otherwise)."""
    state, _search = list_filters(TRANSFER_STATES, "all")
    found = transfer_list(
        warehouses.allowed_warehouse_ids(current_user.id),
        statuses=TRANSFER_STATES[state][1],
        **page_args(),
    )
    return page_or_partial(
        "transfers/index.html",
        "transfers/_rows.html",
        found=found,
        endpoint="transfers.index",
        args={"state": state},
        state=state,
        states=TRANSFER_STATES,
        TransferStatus=TransferStatus,
    )


@bp.route("/transfers/new", methods=["GET", "POST"])
@role_required(Role.CLERK)
def new():
    """A new transfer: the two warehouses, a colour × size grid per style (by code or
    scan); created as a draft, shipped from its page."""
    source = entry_form.source()
    form = TransferForm(formdata=source)
    choices = [
        (row.id, f"{row.code} · {row.name}")
        for row in warehouse_queries.warehouse_rows(
            warehouses.allowed_warehouse_ids(current_user.id)
        )
        if row.active
    ]
    form.from_warehouse.choices = form.to_warehouse.choices = choices
    if source is None:
        form.key.data = uuid4().hex
        source = request.args
    entry = entry_form.read_entry(source, ("q",))
    if request.method == "GET" or source.get("add", "").strip():
        return _new_form(form, entry)
    valid = entry_form.validate(form)
    lines = [
        (variant.id, qty)
        for style in entry.styles
        for variant in style.variants
        if not variant.archived and (qty := entry.number(f"q-{variant.id}"))
    ]
    if not valid or entry.errors:
        return _new_form(form, entry, status=422)
    try:
        created = transfers.create(
            from_warehouse_id=form.from_warehouse.data,
            to_warehouse_id=form.to_warehouse.data,
            lines=lines,
            operator_id=current_user.id,
            idempotency_key=form.key.data,
        )
    except DomainError as refused:
        entry_form.show_refusal(form, refused, {"warehouse": "to_warehouse"})
        return _new_form(form, entry, status=422)
    flash(_("Transfer %(number)s created.", number=created["number"]), "success")
    return client_redirect(url_for("transfers.show", transfer_id=created["id"]))


def _new_form(form: TransferForm, entry: entry_form.Entry, status: int = 200):
    template = "transfers/_new_form.html" if is_htmx() else "transfers/new.html"
    return render_template(template, form=form, entry=entry, grids=entry_form.grids(entry)), status


@bp.get("/transfers/<int:transfer_id>")
@role_required(Reads.WAREHOUSES)
def show(transfer_id: int):
    return _page(_readable(transfer_id))


@bp.get("/transfers/<int:transfer_id>/slip")
@role_required(Reads.WAREHOUSES)
def slip(transfer_id: int):
    """The printable transfer slip (调拨单)."""
    detail = _readable(transfer_id)
    return render_template("transfers/slip.html", detail=detail, TransferStatus=TransferStatus)


@bp.post("/transfers/<int:transfer_id>/<any(ship, cancel):step>")
@role_required(Role.CLERK)
def one_button(transfer_id: int, step: str):
    detail = _readable(transfer_id)
    if step == "cancel" and not current_user.has_role(Role.MANAGER):
        abort(403)
    form = entry_form.KeyForm()
    if not form.validate():
        return _page(detail, _("The page is out of date: reload it."))
    act = transfers.ship if step == "ship" else transfers.cancel
    try:
        act(transfer_id, operator_id=current_user.id, idempotency_key=form.key.data)
    except DomainError as refused:
        return _page(detail, refused.detail)
    done = {
        "ship": _("Transfer %(number)s shipped.", number=detail["number"]),
        "cancel": _("Transfer %(number)s cancelled.", number=detail["number"]),
    }[step]
    flash(done, "success")
    return redirect(url_for("transfers.show", transfer_id=transfer_id))


@bp.post("/transfers/<int:transfer_id>/receive")
@role_required(Role.CLERK)
def receive(transfer_id: int):
    """What arrived per size: received, damaged and a reason, each beside its line."""
    detail = _readable(transfer_id)
    form = entry_form.KeyForm()
    if not form.validate():
        return _page(detail, _("The page is out of date: reload it."))
    errors, lines = {}, []
    for line, _sku, _barcode in detail["lines"]:
        v = line.variant_id
        received = _count(request.form, f"received-{v}", errors)
        damaged = _count(request.form, f"damaged-{v}", errors)
        reason = request.form.get(f"reason-{v}", "").strip()
        if len(reason) > MAX_NOTE:
            errors[f"reason-{v}"] = _("At most %(max)d characters.", max=MAX_NOTE)
        lines.append(transfers.Received(v, received, damaged, reason))
    if errors:
        return _page(detail, _("Some fields need attention."), errors)
    try:
        transfers.receive(
            transfer_id,
            lines=lines,
            operator_id=current_user.id,
            idempotency_key=form.key.data,
        )
    except DomainError as refused:
        return _page(detail, refused.detail, _by_line(refused.errors, lines, "received"))
    flash(_("Transfer %(number)s received.", number=detail["number"]), "success")
    return redirect(url_for("transfers.show", transfer_id=transfer_id))


@bp.post("/transfers/<int:transfer_id>/decide")
@role_required(Role.MANAGER)
def decide(transfer_id: int):
    """A manager's decision per line left in transit: write off, or return to the source."""
    detail = _readable(transfer_id)
    form = entry_form.KeyForm()
    if not form.validate():
        return _page(detail, _("The page is out of date: reload it."))
    lines = []
    for line, _sku, _barcode in detail["lines"]:
        chosen = request.form.get(f"action-{line.variant_id}", "")
        if chosen in set(TransferDecision):
            lines.append((line.variant_id, TransferDecision(chosen)))
    try:
        transfers.decide(
            transfer_id, lines=lines, operator_id=current_user.id, idempotency_key=form.key.data
        )
    except DomainError as refused:
        return _page(detail, refused.detail, _by_line(refused.errors, lines, "action"))
    flash(_("Transfer %(number)s: the decisions are posted.", number=detail["number"]), "success")
    return redirect(url_for("transfers.show", transfer_id=transfer_id))


def _readable(transfer_id: int) -> dict:
    try:
        return readable_transfer(current_user.id, transfer_id)
    except DomainError as refused:
        abort(refused.status)


def _count(form, name: str, errors: dict) -> int:
    number = entry_form.whole_number(form.get(name, "").strip() or "0")
    if number is None:
        errors[name] = entry_form.WHOLE_NUMBER
        return 0
    return number


def _by_line(errors: dict, lines, field: str) -> dict:
    """The service's ``lines[i]`` messages as the page's ``<field>-<variant>``."""
    found = {}
    for name, message in errors.items():
        if name.startswith("lines[") and name[6:-1].isdigit() and int(name[6:-1]) < len(lines):
            line = lines[int(name[6:-1])]
            variant_id = line[0] if isinstance(line, tuple) else line.variant_id
            found[f"{field}-{variant_id}"] = message
    return found


def _page(detail: dict, error=None, errors: dict | None = None):
    transfer = detail["transfer"]
    allowed = warehouses.allowed_warehouse_ids(current_user.id)

    def works_in(warehouse_id: int) -> bool:
        return allowed is None or warehouse_id in allowed

    clerk = current_user.has_role(Role.CLERK)
    manager = current_user.has_role(Role.MANAGER)
    status = transfer.status
    source, to = works_in(transfer.from_warehouse_id), works_in(transfer.to_warehouse_id)
    may = {
        "ship": clerk and source and status == TransferStatus.DRAFT,
        "receive": clerk and to and status == TransferStatus.SHIPPED,
        "decide": manager and status == TransferStatus.RECEIVED,
        "cancel": manager and status in (TransferStatus.DRAFT, TransferStatus.SHIPPED),
    }
    return render_template(
        "transfers/transfer.html",
        detail=detail,
        may=may,
        key=uuid4().hex,
        error=error,
        errors=errors or {},
        values=request.form if request.method == "POST" else {},
        TransferStatus=TransferStatus,
        TransferDecision=TransferDecision,
    ), (422 if error else 200)

"""Allocation orders (配货单) on the floor: list, new order, picking, 配货完成, cancel,
and the printable picking list."""

from functools import partial
from uuid import uuid4

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import queries
from ...access import Reads
from ...extensions import db
from ...htmx import client_redirect, is_htmx, stock_changed
from ...i18n import lazy_gettext as _l
from ...models import ACTIVE, Order, OrderStatus, Role
from ...services import orders, warehouses
from ...services.errors import DomainError, NotPermitted
from .. import entry_form
from ..access import role_required
from ..entry_form import WHOLE_NUMBER, whole_number
from ..lists import state_list
from ..places import own_choice, warehouse_choices
from . import bp
from .forms import CancelForm, OrderForm

STATES = {
    "active": (_l("Open and picking"), ACTIVE),
    # Open or picking, every line picked: waiting for a manager's 配货完成 (the to-do).
    "picked": (_l("Picked in full"), ACTIVE),
    "completed": (_l("Completed"), (OrderStatus.COMPLETED,)),
    "cancelled": (_l("Cancelled"), (OrderStatus.CANCELLED,)),
    "all": (_l("All"), None),
}


@bp.get("/orders")
@role_required(Reads.ORDERS)
def index():
    """Orders of the user's warehouses, newest first: open and picking by default,
    searchable by number or customer."""
    picked = request.args.get("state") == "picked"
    allowed = warehouses.allowed_warehouse_ids(current_user.id)
    return state_list(
        partial(queries.order_list, warehouse_ids=allowed, picked=picked),
        STATES,
        "active",
        "orders/index.html",
        "orders/_rows.html",
    )


# ---------------------------------------------------------------- new order


@bp.route("/orders/new", methods=["GET", "POST"])
@role_required(Role.CLERK)
def new():
    """A new order: a colour × size grid per style; styles are added by code or scan.
    It ships from the warehouse chosen (the user's own to start with; no choice for a
    user of one warehouse)."""
    source = entry_form.source()
    form = OrderForm(formdata=source)
    form.warehouse.choices = warehouse_choices(current_user.id)
    offered = [value for value, _label in form.warehouse.choices]
    if source is None:
        form.number.data = queries.next_number(Order.number, "PH")
        form.key.data = uuid4().hex
        source = request.args
    if len(offered) > 1:
        if not form.warehouse.data:
            form.warehouse.data = own_choice(current_user.id, offered)
        warehouse_id = int(form.warehouse.data) if form.warehouse.data in offered else None
    else:
        del form.warehouse  # the service takes the user's own, or says why it cannot
        warehouse_id = int(offered[0]) if offered else None
    entry = entry_form.read_entry(source, ("q",))
    if request.method == "GET" or source.get("add", "").strip():
        return _new_form(form, entry)
    valid = entry_form.validate(form)
    lines = []
    for style in entry.styles:
        for variant in style.variants:
            qty = entry.number(f"q-{variant.id}")
            if qty and not variant.archived:
                lines.append((variant.id, qty))
    if not valid or entry.errors:
        return _new_form(form, entry, status=422)
    try:
        created = orders.create(
            number=form.number.data.strip(),
            customer=form.customer.data.strip(),
            note=(form.note.data or "").strip(),
            lines=lines,
            warehouse_id=warehouse_id,
            operator_id=current_user.id,
            idempotency_key=form.key.data,
        )
    except DomainError as refused:
        beside = {
            name: message
            for name, message in refused.errors.items()
            if name in ("number", "warehouse") and name in form
        }
        for name, message in beside.items():
            form[name].errors = [message]
        if not beside:
            errors = refused.errors
            form.form_errors.append(
                errors.get("warehouse") or errors.get("lines") or refused.detail
            )
        return _new_form(form, entry, status=422)
    flash(_("Order %(number)s created.", number=created["number"]), "success")
    return client_redirect(url_for("orders.show", order_id=created["id"]))


def _new_form(form: OrderForm, entry: entry_form.Entry, status: int = 200):
    template = "orders/_new_form.html" if is_htmx() else "orders/new.html"
    return render_template(template, form=form, entry=entry, grids=entry_form.grids(entry)), status


# ---------------------------------------------------------------- one order


@bp.get("/orders/<int:order_id>")
@role_required(Reads.ORDERS)
def show(order_id: int):
    """The order: per style the sizes ordered and picked; pickers record picks here."""
    order = readable_order(order_id)
    template = "orders/_view.html" if is_htmx() else "orders/show.html"
    return render_template(template, **_view(order))


def _view(order: Order, **extra) -> dict:
    can_pick = order.status in ACTIVE and current_user.has_role(Role.CLERK)
    return {
        "order": order,
        "view": queries.order_page(order),
        "can_pick": can_pick,
        "pick_key": uuid4().hex,
        "action": entry_form.KeyForm(key=uuid4().hex),
        **extra,
    }


@bp.post("/orders/<int:order_id>/picks")
@role_required(Role.CLERK)
def picks(order_id: int):
    """Record picks: each cell's ``p-<variant>`` against the ``s-<variant>`` it started from.

    The difference is added to what is picked now, so picks made on another
    tablet meanwhile are kept. Answers JSON to the page's script (every line's
    picked figure), and a redirect to a plain form post.
    """
    order = readable_order(order_id)
    form = entry_form.KeyForm()
    if not form.validate():
        return _pick_answer(order, {"form": _("The page is out of date: reload it.")}, 422)
    lines, errors = [], {}
    for line in order.lines:
        picked = request.form.get(f"p-{line.variant_id}")
        saved = request.form.get(f"s-{line.variant_id}")
        if picked is None or saved is None:
            continue
        picked_n = whole_number(picked.strip() or "0")
        saved_n = whole_number(saved.strip() or "0")
        if picked_n is None or saved_n is None:
            errors[str(line.variant_id)] = WHOLE_NUMBER
        elif picked_n != saved_n:
            lines.append((line.variant_id, picked_n - saved_n))
    if errors:
        return _pick_answer(order, errors, 422)
    if lines:
        try:
            orders.record_picks(
                order.id,
                lines=lines,
                relative=True,
                operator_id=current_user.id,
                idempotency_key=form.key.data,
            )
        except DomainError as refused:
            errors = {
                str(lines[int(path[6:-1])][0]): message
                for path, message in refused.errors.items()
                if path.startswith("lines[")
            } or {"form": refused.detail}
            return _pick_answer(order, errors, 422)
    return _pick_answer(order, {}, 200)


def _pick_answer(order: Order, errors: dict, status: int):
    if request.accept_mimetypes.best == "application/json":
        db.session.expire_all()
        picked = orders.picked_by_variant(order.id)
        return jsonify({"picked": {str(k): v for k, v in picked.items()}, "errors": errors}), status
    for message in errors.values():
        flash(message, "error")
    if not errors:
        flash(_("Picks saved."), "success")
    return redirect(url_for("orders.show", order_id=order.id))


@bp.post("/orders/<int:order_id>/complete")
@role_required(Role.MANAGER)
def complete(order_id: int):
    """配货完成: stock falls by what was picked; the rest of the order is short-shipped."""
    order = readable_order(order_id)
    form = entry_form.KeyForm()
    if not form.validate():
        return _refused(order, _("The page is out of date: reload it."))
    try:
        result = orders.complete(
            order.id, operator_id=current_user.id, idempotency_key=form.key.data
        )
    except DomainError as refused:
        return _refused(order, refused.detail)
    shipped = -sum(m["delta"] for m in result["movements"])
    return _done(
        order,
        _("Order %(number)s complete: %(n)d pcs out of stock.", number=order.number, n=shipped),
    )


@bp.route("/orders/<int:order_id>/cancel", methods=["GET", "POST"])
@role_required(Role.CLERK)
def cancel(order_id: int):
    """Cancel: an open order releases its reservation; a completed one (managers, with a
    reason) gets its stock back through a reversal."""
    order = readable_order(order_id)
    if request.method == "GET":
        return _cancel_form(order, CancelForm(key=uuid4().hex))
    form = CancelForm()
    if not form.validate():
        return _cancel_form(order, form, 422)
    try:
        orders.cancel(
            order.id,
            operator_id=current_user.id,
            reason=(form.reason.data or "").strip(),
            may_reverse=current_user.has_role(Role.MANAGER),
            idempotency_key=form.key.data,
        )
    except DomainError as refused:
        if "reason" in refused.errors:
            form.reason.errors = [refused.errors["reason"]]
        else:
            form.form_errors.append(refused.detail)
        return _cancel_form(order, form, 422)
    return _done(order, _("Order %(number)s cancelled.", number=order.number))


def _cancel_form(order: Order, form: CancelForm, status: int = 200):
    template = "orders/_cancel.html" if is_htmx() else "orders/cancel.html"
    return render_template(template, order=order, form=form), status


def _done(order: Order, message: str):
    return stock_changed(
        message,
        detail={"order": order.id},
        fallback=url_for("orders.show", order_id=order.id),
    )


def _refused(order: Order, message):
    """A refused action: the order again, with the reason on top."""
    if not is_htmx():
        flash(message, "error")
        return redirect(url_for("orders.show", order_id=order.id))
    db.session.expire_all()
    return render_template("orders/_view.html", **_view(order, refusal=message)), 422


@bp.get("/orders/<int:order_id>/picking-list")
@role_required(Reads.ORDERS)
def picking_list(order_id: int):
    """The printable picking list: per style, sizes across, with the bins of the order's
    warehouse that hold each size, in the order 配货完成 takes from them."""
    order = readable_order(order_id)
    return render_template("orders/picking_list.html", order=order, view=queries.order_page(order))


def readable_order(order_id: int) -> Order:
    """The order, if the user works in its warehouse (404 / 403 otherwise)."""
    order = db.session.get(Order, order_id)
    if order is None:
        abort(404)
    try:
        warehouses.require_warehouse(current_user.id, order.warehouse_id)
    except NotPermitted:
        abort(403)
    return order

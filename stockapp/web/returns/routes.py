"""Returns (退货): pieces back per size, against a completed order or not."""

import re
from uuid import uuid4

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import queries
from ...extensions import db
from ...htmx import client_redirect, is_htmx
from ...models import Order, ReturnCondition, Role
from ...services import returns
from ...services.errors import DomainError
from .. import entry_form
from ..access import role_required
from ..orders.routes import readable_order
from . import bp
from .forms import ReturnForm

ORDER_ID = re.compile(r"[0-9]{1,9}")


@bp.route("/returns/new", methods=["GET", "POST"])
@role_required(Role.CLERK)
def new():
    """退货: pieces back per size, each resellable (into stock) or damaged (written off).

    Against a completed order (``order``) the grid shows what it shipped;
    otherwise styles are added by code or scan like a new order.
    """
    source = entry_form.source()
    form = ReturnForm(formdata=source)
    if source is None:
        form.key.data = uuid4().hex
        source = request.args
    order = None
    if "order" in source:
        if not ORDER_ID.fullmatch(source["order"]):
            abort(404)
        order = readable_order(int(source["order"]))
    entry = entry_form.read_entry(source, ("r", "d"))
    if order is not None:
        entry.styles = [g["style"] for g in queries.order_page(order)["styles"]]
    if request.method == "GET" or source.get("add", "").strip():
        return _return_form(form, entry, order)
    valid = entry_form.validate(form)
    lines = []
    for style in entry.styles:
        for variant in style.variants:
            for prefix, condition in (
                ("r", ReturnCondition.RESELLABLE),
                ("d", ReturnCondition.DAMAGED),
            ):
                qty = entry.number(f"{prefix}-{variant.id}")
                if qty:
                    lines.append(returns.ReturnLine(variant.id, qty, condition))
    if not valid or entry.errors:
        return _return_form(form, entry, order, status=422)
    try:
        booked = returns.book_return(
            order_id=order.id if order else None,
            lines=lines,
            operator_id=current_user.id,
            note=(form.note.data or "").strip(),
            idempotency_key=form.key.data,
        )
    except DomainError as refused:
        form.form_errors.append(refused.detail)
        shown = _returnable(order)
        for path, message in refused.errors.items():
            line = lines[int(path[6:-1])] if path.startswith("lines[") else None
            if line is not None and (order is None or shown.get(line.variant_id)):
                prefix = "d" if line.condition == ReturnCondition.DAMAGED else "r"
                entry.errors[f"{prefix}-{line.variant_id}"] = message
            else:  # no cell to show it beside (returned meanwhile, or not on the order)
                form.form_errors.append(message)
        return _return_form(form, entry, order, status=422)
    pieces = sum(line.qty for line in lines)
    flash(
        _("Return %(number)s booked: %(n)d pcs.", number=booked["document"]["number"], n=pieces),
        "success",
    )
    return client_redirect(
        url_for("orders.show", order_id=order.id) if order else url_for("orders.index")
    )


def _return_form(form: ReturnForm, entry: entry_form.Entry, order: Order | None, status: int = 200):
    template = "returns/_form.html" if is_htmx() else "returns/new.html"
    return (
        render_template(
            template,
            form=form,
            entry=entry,
            order=order,
            grids=entry_form.grids(entry),
            returnable=_returnable(order),
        ),
        status,
    )


def _returnable(order: Order | None) -> dict[int, int]:
    """Per variant, what the order shipped less what came back already."""
    if order is None:
        return {}
    db.session.refresh(order)
    return {line.variant_id: line.shipped - line.returned for line in order.lines}

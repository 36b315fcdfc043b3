"""The manage-stock dialog (管理库存: inbound ⇄ stocktake) and "why this number"."""

from uuid import uuid4

from flask import abort, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import queries
from ...access import Reads
from ...extensions import db
from ...htmx import stock_changed
from ...models import DocumentStatus, Role, Style, Variant
from ...services import counting, receiving, warehouses
from ...services.errors import DomainError, StaleCount
from ..access import role_required
from ..entry_form import WHOLE_NUMBER, whole_number
from ..places import chosen_place, own_choice, place_choices
from . import bp
from .forms import INBOUND, STOCKTAKE, StockForm


@bp.get("/products/<code>/stock")
@role_required(Role.CLERK)
def manage(code: str):
    """The dialog, in inbound mode or (``?mode=stocktake``) in stocktake mode."""
    style = _style(code)
    mode = request.args.get("mode") if request.args.get("mode") in (INBOUND, STOCKTAKE) else INBOUND
    form = _placed(StockForm(mode=mode, key=uuid4().hex))
    if mode == INBOUND:
        form.place.data = _last_place(form)
    return _dialog(style, form)


@bp.post("/products/<code>/stock")
@role_required(Role.CLERK)
def save(code: str):
    """Receive or count what the grid says; on success close the dialog and refresh."""
    style = _style(code)
    form = _placed(StockForm())
    if not form.validate_on_submit():
        for name in ("csrf_token", "mode", "key"):  # hidden: their errors show at the top
            form.form_errors.extend(form.errors.get(name, []))
        return _dialog(style, form, status=422)
    matrix = queries.stock_matrix(style)
    values, shown, errors = _read_cells(matrix, form.mode.data)
    if errors:
        return _dialog(style, form, values=values, errors=errors, status=422)
    try:
        message = _post(form, values, shown)
    except StaleCount as stale:
        # Show the new figures, keep what was typed, and let the user confirm again.
        form.form_errors.append(stale.detail)
        moved = {d.sku for d in stale.differences}
        return _dialog(style, form, values=_typed(values, shown), moved=moved, status=422)
    except DomainError as refused:
        form.form_errors.append(refused.detail)
        return _dialog(style, form, values=_typed(values, shown), status=422)
    if message is None:
        form.form_errors.append(_("Nothing to save: every cell is as it was."))
        return _dialog(style, form, status=422)
    return stock_changed(
        message,
        detail={"style": style.code},
        fallback=url_for("catalogue.product", code=style.code),
    )


@bp.get("/variants/<int:variant_id>/why")
@role_required(Reads.MOVEMENTS)
def why(variant_id: int):
    """Why is this number what it is: the latest movements in the user's warehouses,
    each with its place, that place's balance and the running total; where it lies."""
    variant = db.session.get(Variant, variant_id)
    if variant is None:
        abort(404)
    allowed = warehouses.allowed_warehouse_ids(current_user.id)
    found = queries.movements.why(variant.id, allowed)
    return render_template(
        "stock/_why.html", variant=variant, restricted=allowed is not None, **found
    )


def _post(form: StockForm, values: dict[int, int], shown: dict[int, int]) -> str | None:
    """Post the dialog through the services; the confirmation, or None if nothing changed."""
    if form.mode.data == INBOUND:
        lines = [(variant_id, qty) for variant_id, qty in values.items() if qty]
        if not lines:
            return None
        warehouse_id, location_id = chosen_place(form.place.data)
        receipt = receiving.receive(
            lines=lines,
            operator_id=current_user.id,
            note=form.note.data.strip(),
            warehouse_id=warehouse_id,
            location_id=location_id,
            idempotency_key=form.key.data,
        )
        session[LAST_PLACE] = form.place.data
        pieces = sum(qty for _, qty in lines)
        if receipt["document"]["status"] == DocumentStatus.SUBMITTED:
            # The settings ask a manager to approve receipts like this one first.
            return _(
                "Receipt %(number)s of %(n)d pcs submitted for approval.",
                number=receipt["document"]["number"],
                n=pieces,
            )
        return _("Received %(n)s pcs", n=pieces)
    lines = [
        counting.CountLine(variant_id, counted, shown[variant_id])
        for variant_id, counted in values.items()
        if counted != shown[variant_id]
    ]
    if not lines:
        return None
    counting.count(
        lines=lines,
        operator_id=current_user.id,
        note=form.note.data.strip(),
        idempotency_key=form.key.data,
    )
    difference = sum(line.counted - line.expected for line in lines)
    return _(
        "Count saved: %(n)d sizes changed, difference %(diff)+d pcs", n=len(lines), diff=difference
    )


def _read_cells(matrix: dict, mode: str):
    """The numbers typed per cell: ``(values, shown, errors)`` keyed by variant id.

    Inbound: ``q-<id>`` is the quantity received, blank for none. Stocktake:
    ``c-<id>`` is the count, blank for "as shown", and ``s-<id>`` the on-hand
    the form showed, which the service compares with the books.
    """
    values, shown, errors = {}, {}, {}
    for cell in matrix["cells"].values():
        variant_id = cell["variant"].id
        if mode == STOCKTAKE:
            seen = whole_number(request.form.get(f"s-{variant_id}", ""))
            shown[variant_id] = cell["level"].on_hand if seen is None else seen
        typed = request.form.get(f"{'q' if mode == INBOUND else 'c'}-{variant_id}", "").strip()
        if typed == "":
            values[variant_id] = 0 if mode == INBOUND else shown[variant_id]
            continue
        number = whole_number(typed)
        if number is None:
            errors[variant_id] = WHOLE_NUMBER
        values[variant_id] = typed if number is None else number
    return values, shown, errors


def _typed(values: dict[int, int], shown: dict[int, int]) -> dict[int, int]:
    """Only the cells the user changed: the others show the books as they are now."""
    return {vid: value for vid, value in values.items() if value != shown.get(vid, 0)}


def _placed(form: StockForm) -> StockForm:
    """The form with the places inbound pieces may go (the stocktake has none)."""
    if form.mode.data == STOCKTAKE:
        del form.place
    else:
        form.place.choices = place_choices(current_user.id, usual=True, quarantine=False)
    return form


# Where the user's last inbound went: the dialog starts there again.
LAST_PLACE = "stock_place"


def _last_place(form: StockForm) -> str | None:
    """The choice the dialog starts at: the last one the user posted, if it is still
    offered, else the usual bins of their own warehouse (or of the first offered)."""
    offered = [value for group in form.place.choices.values() for value, _label in group]
    if session.get(LAST_PLACE) in offered:
        return session[LAST_PLACE]
    return own_choice(current_user.id, offered, "w-")


def _style(code: str) -> Style:
    style = queries.style_by_code(code)
    if style is None:
        abort(404)
    return style


def _dialog(style: Style, form: StockForm, *, values=None, errors=None, moved=(), status=200):
    return (
        render_template(
            "stock/_manage.html",
            style=style,
            matrix=queries.stock_matrix(style),
            form=form,
            values=values or {},
            errors=errors or {},
            moved=set(moved),
            stocktake=form.mode.data == STOCKTAKE,
        ),
        status,
    )

"""Bin moves (移库) on the tablet: scan the source location's label, scan the pieces (or
type them per size), scan the destination's label, and the move posts."""

import re
from uuid import uuid4

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ... import queries
from ...access import Reads
from ...htmx import client_redirect, is_htmx, page_or_partial
from ...i18n import lazy_gettext as _l
from ...models import Location, Role
from ...queries import moves as found_in
from ...services import moves, warehouses
from ...services.errors import DomainError, NotPermitted
from .. import entry_form
from ..access import role_required
from ..inputs import CONTROL, ONE_LINE
from . import bp
from .forms import LOCATION_ID, MoveForm


def scanned(source) -> str:
    """The code the scan field sent (``add``), or ""."""
    return source.get("add", "").strip()[:100]


def without_scan(source) -> MultiDict:
    """The form's fields without the scan: it named a location, not a piece."""
    rest = MultiDict(source)
    rest.pop("add", None)
    return rest


def location_for(code: str, warehouse_id: int | None = None) -> Location | None:
    """The location a bin label's code names, among the warehouses the user works in:
    in ``warehouse_id`` if given (a move's destination, in its source's warehouse); else
    the one location with that code, or the main warehouse's when several have it."""
    if warehouse_id is not None:
        found = [found_in.location_by_code(code, warehouse_id)]
    else:
        found = found_in.locations_by_code(code, warehouses.allowed_warehouse_ids(current_user.id))
        if len(found) > 1:
            main = warehouses.main_warehouse_id()
            found = [location for location in found if location.warehouse_id == main][:1]
    if len(found) != 1 or found[0] is None:
        return None
    try:
        return warehouses.require_location(current_user.id, found[0].id)
    except DomainError:
        return None


def chosen_location(value: str | None) -> Location | None:
    """The location a form carries by id, if it exists and the user may use it."""
    if not value or not re.fullmatch(LOCATION_ID, value):
        return None
    try:
        return warehouses.require_location(current_user.id, int(value))
    except DomainError:
        return None


def permitted(location_id: int) -> None:
    """403 unless the user may use the location (its warehouse)."""
    try:
        warehouses.require_location(current_user.id, location_id)
    except NotPermitted:
        abort(403)


def pieces(source, location: Location | None) -> tuple[entry_form.Entry, dict[int, int]]:
    """The styles and pieces typed or scanned (``q-<variant>``), and what ``location``
    holds of their variants: a grid shows only the sizes the location holds, and a
    scanned piece it holds none of is named beside the scan field."""
    entry = entry_form.read_entry(source, ("q",))
    ids = [v.id for style in entry.styles for v in style.variants]
    held = found_in.held_in(location.id, ids) if location is not None else {}
    code = scanned(source)
    if code and entry.add_error is None and location is not None:
        variant = next(
            (v for s in entry.styles for v in s.variants if code in (v.sku, v.barcode)), None
        )
        if variant is not None and variant.id not in held:
            entry.add_error = _l(
                "%(location)s holds no %(sku)s.", location=location.shown_name, sku=variant.sku
            )
    return entry, held


def out_of_one_bin(form, source) -> tuple[Location | None, entry_form.Entry, dict[int, int], bool]:
    """What a form that takes pieces out of the one location it names (``form.location``:
    a write-off, a return to the supplier) was sent: a bin's label scanned chooses that
    location. Returns the location (None if there is none the user may use), the styles
    and pieces (``pieces``), what the location holds of them, and whether the form only
    asks to be shown again (opened, or a code scanned) rather than sent."""
    code, scan_error = scanned(source), None
    if CONTROL.search(code):
        scan_error = ONE_LINE
    elif code and queries.style_code_for(code) is None:
        scanned_location = location_for(code)
        if scanned_location is not None:
            form.location.data = str(scanned_location.id)
            source = without_scan(source)
    location = chosen_location(form.location.data)
    entry, held = pieces(source, location)
    entry.add_error = scan_error or entry.add_error
    return location, entry, held, request.method == "GET" or bool(scanned(source))


def ready_to_send(form, location: Location | None, entry: entry_form.Entry) -> bool:
    """Whether a form of ``out_of_one_bin`` may go to its service: its fields valid, a
    location chosen (else said beside it), every cell a number."""
    valid = entry_form.validate(form)
    if location is None:
        form.location.errors = [*form.location.errors, _l("Choose a location.")]
        valid = False
    return valid and not entry.errors


def lines_of(entry: entry_form.Entry, held: dict[int, int]) -> list[tuple[int, int]]:
    """``(variant_id, qty)`` of each size with pieces, among those the location holds."""
    found = []
    for style in entry.styles:
        for variant in style.variants:
            if variant.id in held:
                qty = entry.number(f"q-{variant.id}")
                if qty:
                    found.append((variant.id, qty))
    return found


@bp.route("/moves/new", methods=["GET", "POST"])
@role_required(Role.CLERK)
def new():
    """移库: the first scan is the source location; then pieces; a location scanned
    after them is the destination, and the form posts itself (one tap on Move does
    the same)."""
    source = entry_form.source()
    form = MoveForm(formdata=source)
    if source is None:
        form.key.data = uuid4().hex
        source = request.args
    origin = chosen_location(form.source.data)
    destination = None
    code, scan_error = scanned(source), None
    if CONTROL.search(code):
        scan_error, code = ONE_LINE, ""
    if code and origin is None:
        origin = location_for(code)
        if origin is None:
            scan_error = _l("No location %(code)s: scan the label of a location.", code=code)
        source = without_scan(source)
    elif code and queries.style_code_for(code) is None:
        destination = location_for(code, origin.warehouse_id)
        if destination is not None:
            source = without_scan(source)
    form.source.data = str(origin.id) if origin else ""
    entry, held = pieces(source, origin)
    entry.add_error = scan_error or entry.add_error
    if destination is not None:  # the destination's label: post the move
        form.destination.data = str(destination.id)
        if not lines_of(entry, held):
            entry.add_error = _l("Scan the pieces first, then the destination location.")
            return _move_form(form, entry, origin, held, status=422)
        return _move_form(form, entry, origin, held, destination=destination)
    if request.method == "GET":
        return _move_form(form, entry, origin, held)
    destination = chosen_location(form.destination.data)
    valid = entry_form.validate(form)
    lines = lines_of(entry, held)
    if origin is None or destination is None:
        form.form_errors.append(_l("Scan the source location, the pieces, then the destination."))
    if not valid or entry.errors or form.form_errors:
        return _move_form(form, entry, origin, held, status=422)
    try:
        result = moves.move(
            from_location_id=origin.id,
            to_location_id=destination.id,
            lines=lines,
            operator_id=current_user.id,
            note=(form.note.data or "").strip(),
            idempotency_key=form.key.data,
        )
    except DomainError as refused:
        refusal_beside_cells(form, entry, lines, refused)
        return _move_form(form, entry, origin, held, status=422)
    document = result["document"]
    pieces_moved = sum(qty for _, qty in lines)
    flash(
        _(
            "Move %(number)s: %(n)d pcs from %(source)s to %(destination)s.",
            number=document["number"],
            n=pieces_moved,
            source=origin.shown_name,
            destination=destination.shown_name,
        ),
        "success",
    )
    return client_redirect(url_for("moves.show", document_id=document["id"]))


def refusal_beside_cells(form, entry: entry_form.Entry, lines, refused: DomainError) -> None:
    """A service's refusal: a line's message beside its cell (``lines``: what was sent, each
    starting with its variant), a field's beside the field the form shows (a return's
    supplier), the rest on top."""
    form.form_errors.append(refused.detail)
    for path, message in refused.errors.items():
        if path.startswith("lines["):
            entry.errors[f"q-{lines[int(path[6:-1])][0]}"] = message
        elif path in form and path not in ("csrf_token", "key"):
            form[path].errors = [*form[path].errors, message]
        elif message != refused.detail:
            form.form_errors.append(message)


def _move_form(form, entry, origin, held, *, destination=None, status: int = 200):
    template = "moves/_form.html" if is_htmx() else "moves/new.html"
    return (
        render_template(
            template,
            form=form,
            entry=entry,
            origin=origin,
            destination=destination,
            held=held,
            grids=entry_form.grids(entry),
        ),
        status,
    )


@bp.get("/moves/<int:document_id>")
@role_required(Reads.MOVEMENTS)
def show(document_id: int):
    """What a move moved: from where, to where, per size; whether it was reversed, and
    for a manager the Reverse button while it can be (htmx: refreshed on stock-changed)."""
    view = found_in.move_detail(document_id)
    if view is None:
        abort(404)
    permitted(view["from"].id)
    permitted(view["to"].id)
    return page_or_partial("moves/show.html", "moves/_move_view.html", view=view)

"""Write-offs (报损): the form (clerks, on the tablet), the list with its states, a
write-off's page, and the managers' approve and reject."""

from uuid import uuid4

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import Reads
from ...htmx import client_redirect, is_htmx, page_or_partial
from ...i18n import lazy_gettext as _l
from ...models import DocumentStatus, Role
from ...queries import moves as found_in
from ...services import warehouses, write_offs
from ...services.errors import DomainError
from .. import entry_form
from ..access import role_required
from ..decisions import Waiting
from ..lists import list_filters, page_args
from ..places import place_choices
from . import bp
from .forms import RejectForm, WriteOffForm
from .routes import lines_of, out_of_one_bin, permitted, ready_to_send, refusal_beside_cells

WRITE_OFF_STATES = {
    "submitted": (_l("Waiting for approval"), (DocumentStatus.SUBMITTED,)),
    # As the receipts list: an approved write-off reversed since is listed as it is now.
    "posted": (_l("Approved"), (DocumentStatus.POSTED, DocumentStatus.REVERSED)),
    "rejected": (_l("Rejected"), (DocumentStatus.REJECTED,)),
    "all": (_l("All"), None),
}


@bp.get("/write-offs", endpoint="write_offs")
@role_required(Reads.MOVEMENTS)
def write_offs_list():
    """Write-offs by state: managers start at those waiting for them, clerks at all."""
    default = "submitted" if current_user.has_role(Role.MANAGER) else "all"
    state, _search = list_filters(WRITE_OFF_STATES, default)
    found = found_in.write_off_list(
        statuses=WRITE_OFF_STATES[state][1],
        warehouse_ids=warehouses.allowed_warehouse_ids(current_user.id),
        **page_args(),
    )
    return page_or_partial(
        "moves/write_offs.html",
        "moves/_write_off_rows.html",
        found=found,
        endpoint="moves.write_offs",
        args={"state": state},
        state=state,
        states=WRITE_OFF_STATES,
    )


@bp.route("/write-offs/new", methods=["GET", "POST"])
@role_required(Role.CLERK)
def new_write_off():
    """报损: choose the location (or scan its label), scan or type the pieces per size,
    say why; submitted for approval, or posted at once where no approval is needed."""
    source = entry_form.source()
    form = WriteOffForm(formdata=source)
    if source is None:
        form.key.data = uuid4().hex
        source = request.args
    if not form.location.data:
        form.location.data = str(warehouses.default_location_id())
    location, entry, held, shown_only = out_of_one_bin(form, source)
    if shown_only:
        return _write_off_form(form, entry, held)
    if not ready_to_send(form, location, entry):
        return _write_off_form(form, entry, held, 422)
    lines = lines_of(entry, held)
    try:
        result = write_offs.submit(
            location_id=location.id,
            lines=lines,
            reason=form.reason.data,
            operator_id=current_user.id,
            note=(form.note.data or "").strip(),
            idempotency_key=form.key.data,
        )
    except DomainError as refused:
        refusal_beside_cells(form, entry, lines, refused)
        return _write_off_form(form, entry, held, 422)
    flash(write_off_message(result["document"], sum(qty for _, qty in lines)), "success")
    return client_redirect(url_for("moves.write_off", document_id=result["document"]["id"]))


def write_off_message(document: dict, pieces: int) -> str:
    if document["status"] == DocumentStatus.POSTED:
        return _(
            "Write-off %(number)s approved: %(n)d pcs out of stock.",
            number=document["number"],
            n=pieces,
        )
    return _("Write-off %(number)s submitted for approval.", number=document["number"])


def _write_off_form(form: WriteOffForm, entry, held, status: int = 200):
    form.location.choices = place_choices(current_user.id)
    template = "moves/_write_off_form.html" if is_htmx() else "moves/new_write_off.html"
    context = {"form": form, "entry": entry, "held": held, "grids": entry_form.grids(entry)}
    return render_template(template, **context), status


@bp.get("/write-offs/<int:document_id>")
@role_required(Reads.MOVEMENTS)
def write_off(document_id: int):
    view = _view(document_id)
    template = "moves/_write_off_view.html" if is_htmx() else "moves/write_off.html"
    return render_template(template, view=view, action=entry_form.KeyForm(key=uuid4().hex))


@bp.post("/write-offs/<int:document_id>/approve")
@role_required(Role.MANAGER)
def approve(document_id: int):
    return WAITING.approve(document_id)


@bp.route("/write-offs/<int:document_id>/reject", methods=["GET", "POST"])
@role_required(Role.MANAGER)
def reject(document_id: int):
    return WAITING.reject(document_id)


def _view(document_id: int) -> dict:
    """The write-off, if the user may use its location (404 / 403 otherwise)."""
    view = found_in.write_off_detail(document_id)
    if view is None:
        abort(404)
    permitted(view["place"].id)
    return view


WAITING = Waiting(
    service=write_offs,
    view=_view,
    page="moves.write_off",
    reject_page="moves.reject",
    partial="moves/_write_off_view.html",
    name="write_off",
    approved=write_off_message,
    rejected=_l("Write-off rejected: nothing was posted."),
    reject_form=RejectForm,
)

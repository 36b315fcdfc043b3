"""The import pages: upload, preview, confirm (managers)."""

from flask import abort, render_template, request, url_for
from flask_login import current_user

from ...htmx import client_redirect, is_htmx
from ...services import imports
from ...services.errors import DomainError, NotFound
from ..access import managers_only
from . import bp
from .forms import ConfirmForm, UploadForm

# What a preview lists of the styles to import; the counts say how many there are.
SHOWN_STYLES = 200


@bp.before_request
def larger_uploads():
    """An upload may be larger than any other request (config MAX_CONTENT_LENGTH)."""
    if request.endpoint == "imports.upload":
        request.max_content_length = imports.MAX_UPLOAD_REQUEST


@bp.get("/imports")
@managers_only
def index():
    return render_template("imports/index.html", form=UploadForm())


@bp.post("/imports")
@managers_only
def upload():
    """Check the uploaded sheet and show its preview; nothing but the upload is kept."""
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("imports/index.html", form=form), 422
    try:
        found = imports.upload(
            content=form.sheet.data.read(imports.MAX_UPLOAD_BYTES + 1),
            filename=form.sheet.data.filename or "",
            actor_id=current_user.id,
        )
    except DomainError as refused:
        form.sheet.errors = [refused.detail]
        return render_template("imports/index.html", form=form), 422
    return client_redirect(url_for("imports.show", import_id=found["id"]))


@bp.get("/imports/<int:import_id>")
@managers_only
def show(import_id: int):
    return _preview(import_id, ConfirmForm(), 200)


@bp.post("/imports/<int:import_id>/confirm")
@managers_only
def confirm(import_id: int):
    """Import the checked sheet, once; a refusal is shown on the preview."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _preview(import_id, form, 422)
    try:
        imports.confirm(import_id, actor_id=current_user.id)
    except DomainError as refused:
        form.form_errors.append(refused.detail)
        return _preview(import_id, form, refused.status)
    return client_redirect(url_for("imports.show", import_id=import_id))


def _preview(import_id: int, form: ConfirmForm, status: int):
    try:
        found = imports.preview(import_id)
    except NotFound:
        abort(404)
    context = {"found": found, "form": form, "shown": SHOWN_STYLES}
    template = "imports/_preview.html" if is_htmx() else "imports/preview.html"
    return render_template(template, **context), status
